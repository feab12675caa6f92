// Every request message's decoding: protobuf-c unpacking, the conversion to the Swift type and
// the proto3 string checks (UTF-8, NUL). The first byte picks the message type (the list is
// written by build.sh from the generated code: every message of the services' packages).
import Messages
import ProtoCodec

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let types = allMessageTypes
    let type = types[Int(data[0]) % types.count]
    let bytes = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    if let message = try? type.init(serializedBytes: bytes) {
        // A decoded message must encode again (no state the decoder left half-built).
        _ = message.serializedBytes()
    }
    return 0
}
