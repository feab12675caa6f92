extension ProtoMessage {
    /// Decodes from an array, for callers outside the wrapper layer that hold plain bytes.
    @inlinable
    public static func decode(bytes: [UInt8], arena: ProtoArena) throws(ProtoDecodeError) -> Self {
        // Rethrown untyped and narrowed again: a Result<Self, ProtoDecodeError> carrying the
        // typed error out of the closure had its metadata looked up at run time in every
        // unspecialised caller (the server's generic call path: ~320 instructions per request).
        do {
            return try bytes.withUnsafeBytes { raw in try decode(raw, arena: arena) }
        } catch {
            throw Self.narrowed(error)
        }
    }
}

extension ProtoMessage {
    /// Decodes from a slice (a message inside a larger received buffer) without copying it.
    /// Inlinable, so a caller in another module decoding a concrete type needs no `Result`
    /// metadata looked up at run time per call.
    @inlinable
    public static func decode(bytes: ArraySlice<UInt8>, arena: ProtoArena) throws(ProtoDecodeError) -> Self {
        // Rethrown untyped and narrowed again: a Result<Self, ProtoDecodeError> carrying the
        // typed error out of the closure had its metadata looked up at run time in every
        // unspecialised caller (the server's generic call path: ~320 instructions per request).
        do {
            return try bytes.withUnsafeBytes { raw in try decode(raw, arena: arena) }
        } catch {
            throw Self.narrowed(error)
        }
    }
}

extension ProtoMessage {
    /// The decode error `decode(bytes:arena:)` rethrew untyped (it throws nothing else).
    @usableFromInline
    static func narrowed(_ error: any Error) -> ProtoDecodeError {
        error as? ProtoDecodeError ?? ProtoDecodeError(message: "\(error)")
    }
}
