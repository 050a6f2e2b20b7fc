from rescore.cli.app import main

if __name__ == "__main__":  # guard: Dask/multiprocessing "spawn" children re-import this module
    main()
