print("xsc-interop-server: not yet")
