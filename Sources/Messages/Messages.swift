// The Messages module: Swift value types for every message and enum in proto/, with their
// conversions to and from the protobuf-c structs of CXSCProto, all in Generated/ (written by
// scripts/generate.sh via xsc-codegen; never edit by hand). Naming rules: COMMON.md
// "Generated names". XSCProtoDescriptors.files embeds every file's descriptor for reflection.
