"""A local Ray cluster for the tests and bench/batch_workers.py."""


def start_local_ray(object_store_memory, attempts=3):
    """A new local Ray cluster of 2 CPUs (address="local": never another cluster on the machine).
    Ray gives its raylet a fixed 30 s to register, which a heavily loaded machine can miss: try
    again then."""
    import ray

    for attempt in range(attempts):
        try:
            return ray.init(address="local", num_cpus=2, include_dashboard=False,
                            object_store_memory=object_store_memory, log_to_driver=False)
        except Exception as e:  # Ray raises a bare Exception for this timeout
            if "timed out during startup" not in str(e) or attempt == attempts - 1:
                raise
            ray.shutdown()
