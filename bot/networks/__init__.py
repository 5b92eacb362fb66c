"""Network adapters. Each network is one module and one entry point in the `cablebot.networks` group."""
