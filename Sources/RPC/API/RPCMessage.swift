import ProtoCodec

/// A message a call sends or receives: the generated types conform. The name the layers above
/// the runtime use, so they need not import the protobuf-c wrapper (ProtoCodec) themselves.
public typealias RPCMessage = ProtoMessage

/// A message forwarded without being decoded (the gateway's proxy): its encoded bytes.
public typealias ForwardedMessage = OpaqueMessage
