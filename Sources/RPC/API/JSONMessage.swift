import ProtoCodec

/// The proto3 JSON mapping, named for the layers above the runtime (which do not import the
/// protobuf-c wrapper themselves): every generated message is a `JSONMessage`.
public typealias JSONMessage = ProtoJSONMessage
