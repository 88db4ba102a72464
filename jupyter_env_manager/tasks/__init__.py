"""Long operations run as tasks: persisted, observable, cancellable."""
