from rescore.cli.app import run

if __name__ == "__main__":  # guard: Dask/multiprocessing "spawn" children re-import this module
    run()
