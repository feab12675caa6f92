// The ServiceAPI module: for each service in proto/, a handler protocol (implement it, hand the
// value to RPCServer) and a typed client, all in Generated/ (written by scripts/generate.sh via
// xsc-codegen; never edit by hand).
