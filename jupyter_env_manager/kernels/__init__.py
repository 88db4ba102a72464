"""Every environment is a kernel: discovery, activation, registration.

- `naming`: kernel names (nb_conda_kernels-compatible for conda envs) and display names.
- `env_kernels`: read the kernel specs inside an environment and make them run there.
- `spec_manager`: the server's `KernelSpecManager`, cached by directory mtimes.
- `activation`: the environment variables conda (or a venv) activation sets.
- `provisioner`: applies activation just before a kernel process starts.
- `registration`: writes real kernelspec files for tools that do not load our manager.
- `add_kernel`: installs ipykernel into an environment that lacks it.
"""
