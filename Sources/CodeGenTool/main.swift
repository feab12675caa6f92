print("xsc-codegen: not yet")
