extension ProtoMessage {
    /// Decodes from an array, for callers outside the wrapper layer that hold plain bytes.
    @inlinable
    public static func decode(bytes: [UInt8], arena: ProtoArena) throws(ProtoDecodeError) -> Self {
        let result: Result<Self, ProtoDecodeError> = bytes.withUnsafeBytes { raw in
            do throws(ProtoDecodeError) {
                return .success(try decode(raw, arena: arena))
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }
}

extension ProtoMessage {
    /// Decodes from a slice (a message inside a larger received buffer) without copying it.
    /// Inlinable, so a caller in another module decoding a concrete type needs no `Result`
    /// metadata looked up at run time per call.
    @inlinable
    public static func decode(bytes: ArraySlice<UInt8>, arena: ProtoArena) throws(ProtoDecodeError) -> Self {
        let result: Result<Self, ProtoDecodeError> = bytes.withUnsafeBytes { raw in
            do throws(ProtoDecodeError) {
                return .success(try decode(raw, arena: arena))
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }
}
