/// Emits, per message, the conversions between the Swift value and its protobuf-c struct and
/// the `ProtoMessage` decode/encode built on them. The C side lives in the caller's arena; the
/// Swift side allocates only what the values themselves need (strings, arrays, dictionaries).
struct ConversionEmitter {
    let registry: TypeRegistry
    let messages: MessageEmitter

    func emitConversions(_ info: TypeRegistry.MessageInfo, into out: inout CodeWriter) throws {
        let plans = try messages.plans(for: info)
        let oneofList = messages.oneofs(of: info, plans: plans)
        out.block("extension \(info.swiftName)") { out in
            emitFromC(info, plans: plans, oneofs: oneofList, into: &out)
            out.line()
            emitToC(info, plans: plans, oneofs: oneofList, into: &out)
            out.line()
            emitDecode(info, into: &out)
            out.line()
            out.block("public func encode(appendingTo buffer: inout [UInt8], arena: ProtoArena)") { out in
                out.line("let mark = arena.mark()")
                out.line("defer { arena.release(to: mark) }")
                out.line("protoPack(_cMessage(in: arena), appendingTo: &buffer)")
            }
        }
        for nested in info.descriptor.nestedMessages where !nested.isMapEntry {
            out.line()
            try emitConversions(registry.message(info.fullName + "." + nested.name), into: &out)
        }
    }

    private func emitDecode(_ info: TypeRegistry.MessageInfo, into out: inout CodeWriter) {
        out.block("public static func decode(_ bytes: UnsafeRawBufferPointer, arena: ProtoArena) throws(ProtoDecodeError) -> Self") { out in
            out.line("let mark = arena.mark()")
            out.line("defer { arena.release(to: mark) }")
            if info.isTopLevel {
                out.block("if let problem = withUnsafePointer(to: \(info.cFunctionPrefix)__descriptor, { protoStringProblem(bytes, $0) })") { out in
                    out.line("throw problem")
                }
                out.line("let data = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self)")
                out.block("guard let c = \(info.cFunctionPrefix)__unpack(arena.allocator, bytes.count, data) else") { out in
                    out.line("throw ProtoDecodeError.invalidWireFormat(protoMessageName)")
                }
                out.line("return Self(_cMessage: c)")
            } else {
                // protoc-c gives nested messages no unpack function; an initialised struct
                // carries the address of their descriptor.
                out.line("let probe = arena.allocate(\(info.cTypeName).self)")
                out.line("\(info.cFunctionPrefix)__init(probe)")
                out.line("let raw = try protoUnpack(protoDescriptor(ofInitialized: probe), bytes, arena: arena, messageName: protoMessageName)")
                out.line("return Self(_cMessage: raw.assumingMemoryBound(to: \(info.cTypeName).self))")
            }
        }
    }

    // MARK: C -> Swift

    private func emitFromC(_ info: TypeRegistry.MessageInfo, plans: [FieldPlan],
                           oneofs: [(index: Int, name: String, members: [FieldPlan])], into out: inout CodeWriter) {
        let hasWork = !plans.isEmpty
        out.block("init(_cMessage \(hasWork ? "c" : "_"): UnsafeMutablePointer<\(info.cTypeName)>)") { out in
            out.line("self.init()")
            var doneOneofs: Set<Int> = []
            for plan in plans {
                let member = "c.pointee.\(plan.cName)"
                let target = "self.\(plan.swiftName)"
                switch plan.shape {
                case .singular:
                    if case .message(let message) = plan.element {
                        out.line("if let value = \(member) { \(target) = \(message.swiftName)(_cMessage: value) }")
                    } else {
                        out.line("\(target) = \(plan.element.fromC(member))")
                    }
                case .optional:
                    let isSet = "c.pointee.\(plan.cOptionalCaseName).rawValue != 0"
                    if case .message(let message) = plan.element {
                        out.line("if \(isSet), let value = \(member) { \(target) = \(message.swiftName)(_cMessage: value) }")
                    } else {
                        out.line("if \(isSet) { \(target) = \(plan.element.fromC(member)) }")
                    }
                case .repeated:
                    let count = "c.pointee.\(plan.cCountName)"
                    if plan.element.isPlain {
                        out.line("\(target) = protoArray(\(member), count: \(count))")
                    } else {
                        out.line("\(target) = protoMap(\(member), count: \(count)) { \(plan.element.fromC("$0")) }")
                    }
                case .map(_, let key, let value):
                    let count = "c.pointee.\(plan.cCountName)"
                    out.block("if \(count) > 0, let entries = \(member)") { out in
                        out.line("var map = [\(key.swiftType): \(value.swiftType)](minimumCapacity: \(count))")
                        out.block("for index in 0..<\(count)") { out in
                            out.line("guard let entry = entries[index] else { continue }")
                            out.line("map[\(key.fromC("entry.pointee.key"))] = \(value.fromC("entry.pointee.value"))")
                        }
                        out.line("\(target) = map")
                    }
                case .oneofMember(let index):
                    guard doneOneofs.insert(index).inserted, let oneof = oneofs.first(where: { $0.index == index }) else { continue }
                    out.switchBlock("c.pointee.\(Naming.cOneofCaseName(oneof.name)).rawValue") { out in
                        for member in oneof.members {
                            let value = member.element.fromC("c.pointee.\(member.cName)")
                            out.line("case \(member.descriptor.number): self.\(Naming.swiftFieldName(oneof.name)) = .\(member.swiftName)(\(value))")
                        }
                        out.line("default: break")
                    }
                }
            }
        }
    }

    // MARK: Swift -> C

    private func emitToC(_ info: TypeRegistry.MessageInfo, plans: [FieldPlan],
                         oneofs: [(index: Int, name: String, members: [FieldPlan])], into out: inout CodeWriter) {
        out.block("func _cMessage(in arena: ProtoArena) -> UnsafeMutablePointer<\(info.cTypeName)>") { out in
            out.line("let c = arena.allocate(\(info.cTypeName).self)")
            out.line("\(info.cFunctionPrefix)__init(c)")
            var doneOneofs: Set<Int> = []
            for plan in plans {
                let member = "c.pointee.\(plan.cName)"
                let source = "self.\(plan.swiftName)"
                switch plan.shape {
                case .singular:
                    switch plan.element {
                    case .plain, .bool, .enumeration:
                        out.line("\(member) = \(plan.element.toC(source))")
                    case .string, .bytes:
                        out.line("if !\(source).isEmpty { \(member) = \(plan.element.toC(source)) }")
                    case .message:
                        out.line("if let value = \(source) { \(member) = value._cMessage(in: arena) }")
                    }
                case .optional:
                    out.block("if let value = \(source)") { out in
                        out.line("c.pointee.\(plan.cOptionalCaseName) = .init(rawValue: \(plan.descriptor.number))")
                        out.line("\(member) = \(plan.element.toC("value"))")
                    }
                case .repeated:
                    out.block("if !\(source).isEmpty") { out in
                        out.line("c.pointee.\(plan.cCountName) = \(source).count")
                        if plan.element.isPlain {
                            out.line("\(member) = arena.array(\(source))")
                        } else {
                            let elementType = plan.element.cArrayElementType
                            out.line("\(member) = arena.array(\(source)) { (value: \(plan.element.swiftType)) -> \(elementType) in \(plan.element.toC("value")) }")
                        }
                    }
                case .map(let entry, let key, let value):
                    out.block("if !\(source).isEmpty") { out in
                        out.line("let entries = arena.allocate(UnsafeMutablePointer<\(entry.cTypeName)>?.self, count: \(source).count)")
                        out.line("var index = 0")
                        // Entries go out sorted by key: the same map always encodes to the same bytes,
                        // which request fingerprints (idempotency keys) rely on.
                        let order = key.swiftType == "Bool" ? "{ !$0.key && $1.key }" : "{ $0.key < $1.key }"
                        out.block("for (key, value) in \(source).sorted(by: \(order))") { out in
                            out.line("let entry = arena.allocate(\(entry.cTypeName).self)")
                            out.line("\(entry.cFunctionPrefix)__init(entry)")
                            out.line("entry.pointee.key = \(key.toC("key"))")
                            out.line("entry.pointee.value = \(value.toC("value"))")
                            out.line("(entries + index).initialize(to: entry)")
                            out.line("index += 1")
                        }
                        out.line("c.pointee.\(plan.cCountName) = \(source).count")
                        out.line("\(member) = entries")
                    }
                case .oneofMember(let index):
                    guard doneOneofs.insert(index).inserted, let oneof = oneofs.first(where: { $0.index == index }) else { continue }
                    out.switchBlock("self.\(Naming.swiftFieldName(oneof.name))") { out in
                        for member in oneof.members {
                            out.line("case .\(member.swiftName)(let value)?:")
                            out.indented { out in
                                out.line("c.pointee.\(Naming.cOneofCaseName(oneof.name)) = .init(rawValue: \(member.descriptor.number))")
                                out.line("c.pointee.\(member.cName) = \(member.element.toC("value"))")
                            }
                        }
                        out.line("case nil: break")
                    }
                }
            }
            out.line("return c")
        }
    }
}
