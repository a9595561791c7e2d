"""HTTP layer of the gateway: dependencies and thin routes (logic lives in service functions)."""
