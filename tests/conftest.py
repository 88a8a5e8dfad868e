pytest_plugins = ["layer_client.emulator.pytest_plugin"]
