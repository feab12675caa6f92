print("xsc-bench-server: not yet")
