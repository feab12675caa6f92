import CXSCProto

/// A bump allocator for the short-lived C side of a message: protobuf-c's unpacked structs and
/// strings while decoding, the temporary structs and NUL-terminated strings while encoding.
///
/// One arena per event-loop thread, never shared between threads. Allocation is a pointer bump;
/// `free` is a no-op; everything goes at once when the arena is reset (generated code does that
/// after each message). It grows by chunks and, on reset, keeps only its largest chunk (up to
/// `retainLimit` bytes) so a steady workload stops calling malloc after the first messages.
public final class ProtoArena {
    /// Bytes of the first chunk.
    public static let initialChunkSize = 4096
    /// The first chunk of an arena made for one message (`serializedBytes()`): room for a
    /// typical message's C structs and strings, below glibc's large-request size.
    public static let perMessageChunkSize = 960
    /// Chunks larger than this are returned to malloc on reset, bounding idle memory.
    public static let retainLimit = 1 << 20

    @usableFromInline let state: UnsafeMutablePointer<ArenaState>
    /// Every chunk in use; the last one is the current one and the largest.
    @usableFromInline var chunks: [ArenaChunk] = []

    /// The size of this arena's first chunk (and of the chunk a reset falls back to).
    let firstChunkSize: Int

    /// `firstChunkSize` below glibc's large-request size (1 KiB) for arenas made per message
    /// (`serializedBytes()`): a large request makes malloc consolidate every free small chunk
    /// first, which a 4 KiB chunk per encoded message did several times per order.
    public init(firstChunkSize: Int = ProtoArena.initialChunkSize) {
        self.firstChunkSize = max(64, firstChunkSize)
        state = .allocate(capacity: 1)
        let chunk = ArenaChunk(size: self.firstChunkSize)
        chunks.append(chunk)
        state.initialize(to: ArenaState(
            allocator: ProtobufCAllocator(alloc: arenaAlloc, free: arenaFree, allocator_data: nil),
            next: chunk.base, end: chunk.base + chunk.size, owner: nil))
        state.pointee.allocator.allocator_data = UnsafeMutableRawPointer(state)
        state.pointee.owner = Unmanaged.passUnretained(self)
    }

    deinit {
        for chunk in chunks { chunk.release() }
        state.deinitialize(count: 1)
        state.deallocate()
    }

    /// The allocator to hand to `protobuf_c_message_unpack`; valid while the arena lives.
    @inlinable public var allocator: UnsafeMutablePointer<ProtobufCAllocator> {
        UnsafeMutableRawPointer(state).assumingMemoryBound(to: ProtobufCAllocator.self)
    }

    /// `byteCount` bytes aligned to 8, valid until the arena is reset past this point.
    @inlinable public func allocate(byteCount: Int) -> UnsafeMutableRawPointer {
        let rounded = (byteCount + 7) & ~7
        let next = state.pointee.next
        if state.pointee.end - next >= rounded {
            state.pointee.next = next + rounded
            return next
        }
        return allocateInNewChunk(rounded)
    }

    /// Uninitialised room for `count` values of `type` (alignment at most 8, as every
    /// protobuf-c struct and scalar has).
    @inlinable public func allocate<T>(_ type: T.Type, count: Int = 1) -> UnsafeMutablePointer<T> {
        allocate(byteCount: MemoryLayout<T>.stride * count).bindMemory(to: T.self, capacity: count)
    }

    /// A position to come back to with `release(to:)`.
    public struct Mark {
        @usableFromInline let chunkCount: Int
        @usableFromInline let next: UnsafeMutableRawPointer
        @usableFromInline init(chunkCount: Int, next: UnsafeMutableRawPointer) {
            self.chunkCount = chunkCount
            self.next = next
        }
    }

    @inlinable public func mark() -> Mark { Mark(chunkCount: chunks.count, next: state.pointee.next) }

    /// Frees everything allocated since `mark`. Releasing to an empty arena's mark is a reset.
    @inlinable public func release(to mark: Mark) {
        if mark.chunkCount == chunks.count && (mark.chunkCount > 1 || mark.next != chunks[0].base) {
            state.pointee.next = mark.next
        } else {
            releaseSlow(to: mark)
        }
    }

    /// Frees everything, keeping the largest chunk for reuse.
    public func reset() {
        var keep = chunks.removeLast()
        for chunk in chunks { chunk.release() }
        chunks.removeAll(keepingCapacity: true)
        if keep.size > Self.retainLimit {
            keep.release()
            keep = ArenaChunk(size: firstChunkSize)
        }
        chunks.append(keep)
        state.pointee.next = keep.base
        state.pointee.end = keep.base + keep.size
    }

    /// Total bytes of the chunks held (for tests and metrics).
    public var capacity: Int { chunks.reduce(0) { $0 + $1.size } }

    @usableFromInline func releaseSlow(to mark: Mark) {
        if mark.chunkCount <= 1 && mark.next == chunks[0].base {
            reset()
            return
        }
        while chunks.count > mark.chunkCount { chunks.removeLast().release() }
        let current = chunks[chunks.count - 1]
        state.pointee.next = mark.next
        state.pointee.end = current.base + current.size
    }

    @usableFromInline func allocateInNewChunk(_ byteCount: Int) -> UnsafeMutableRawPointer {
        let size = max(chunks[chunks.count - 1].size * 2, byteCount)
        let chunk = ArenaChunk(size: size)
        chunks.append(chunk)
        state.pointee.next = chunk.base + byteCount
        state.pointee.end = chunk.base + size
        return chunk.base
    }
}

/// The C-visible part of an arena. `allocator` comes first so a pointer to the state is also a
/// pointer to the `ProtobufCAllocator`, whose `allocator_data` points back here.
@usableFromInline struct ArenaState {
    @usableFromInline var allocator: ProtobufCAllocator
    @usableFromInline var next: UnsafeMutableRawPointer
    @usableFromInline var end: UnsafeMutableRawPointer
    @usableFromInline var owner: Unmanaged<ProtoArena>?
}

@usableFromInline struct ArenaChunk {
    @usableFromInline let base: UnsafeMutableRawPointer
    @usableFromInline let size: Int

    init(size: Int) {
        self.size = size
        // malloc alignment (16) covers every protobuf-c type.
        base = .allocate(byteCount: size, alignment: 16)
    }

    func release() { base.deallocate() }
}

// Called by protobuf-c for every allocation while unpacking: the fast path touches only the
// state struct (no class access, so no retain/release); a new chunk is the rare slow path.
private func arenaAlloc(_ data: UnsafeMutableRawPointer?, _ size: Int) -> UnsafeMutableRawPointer? {
    guard let state = data?.assumingMemoryBound(to: ArenaState.self) else { return nil }
    let rounded = (size + 7) & ~7
    let next = state.pointee.next
    if state.pointee.end - next >= rounded {
        state.pointee.next = next + rounded
        return next
    }
    return state.pointee.owner?.takeUnretainedValue().allocateInNewChunk(rounded)
}

private func arenaFree(_ data: UnsafeMutableRawPointer?, _ pointer: UnsafeMutableRawPointer?) {
    // Arena memory is released all at once by reset/release(to:).
}
