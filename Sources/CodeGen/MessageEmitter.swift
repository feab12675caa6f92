/// Emits the Swift declarations of messages (value-type structs) and enums.
struct MessageEmitter {
    let registry: TypeRegistry

    func plans(for info: TypeRegistry.MessageInfo) throws -> [FieldPlan] {
        try info.descriptor.fields.map { try FieldPlan($0, in: info, registry: registry) }
    }

    /// Real (non-synthetic) oneofs: index -> member plans, in declaration order.
    func oneofs(of info: TypeRegistry.MessageInfo, plans: [FieldPlan]) -> [(index: Int, name: String, members: [FieldPlan])] {
        var result: [(index: Int, name: String, members: [FieldPlan])] = []
        for plan in plans {
            guard case .oneofMember(let index) = plan.shape else { continue }
            if let position = result.firstIndex(where: { $0.index == index }) {
                result[position].members.append(plan)
            } else {
                result.append((index, info.descriptor.oneofNames[index], [plan]))
            }
        }
        return result
    }

    func emitMessage(_ info: TypeRegistry.MessageInfo, into out: inout CodeWriter) throws {
        let plans = try plans(for: info)
        let oneofList = oneofs(of: info, plans: plans)
        let localName = info.swiftName.split(separator: ".").last.map(String.init) ?? info.swiftName
        try out.block("public struct \(localName): ProtoMessage") { out in
            out.line("public static let protoMessageName = \"\(info.fullName)\"")
            out.line()
            var emittedOneofs: Set<Int> = []
            for plan in plans {
                if case .oneofMember(let index) = plan.shape {
                    guard !emittedOneofs.contains(index), let oneof = oneofList.first(where: { $0.index == index }) else { continue }
                    emittedOneofs.insert(index)
                    out.line("public var \(Naming.swiftFieldName(oneof.name)): \(Naming.swiftOneofTypeName(oneof.name))? = nil")
                } else {
                    emitProperty(plan, into: &out)
                }
            }
            out.line()
            out.line("public init() {}")
            for oneof in oneofList {
                out.line()
                emitOneofEnum(name: oneof.name, members: oneof.members, into: &out)
            }
            for enumeration in info.descriptor.enums {
                out.line()
                try emitEnum(registry.enumeration(info.fullName + "." + enumeration.name), into: &out)
            }
            for nested in info.descriptor.nestedMessages where !nested.isMapEntry {
                out.line()
                try emitMessage(registry.message(info.fullName + "." + nested.name), into: &out)
            }
        }
    }

    private func emitProperty(_ plan: FieldPlan, into out: inout CodeWriter) {
        let name = plan.swiftName
        switch plan.shape {
        case .singular, .optional:
            if case .message = plan.element {
                emitMessageProperty(plan, into: &out)
            } else if case .optional = plan.shape {
                out.line("public var \(name): \(plan.element.swiftType)? = nil")
            } else {
                out.line("public var \(name): \(plan.element.swiftType) = \(plan.element.defaultValue)")
            }
        case .repeated:
            out.line("public var \(name): [\(plan.element.swiftType)] = []")
        case .map(_, let key, let value):
            out.line("public var \(name): [\(key.swiftType): \(value.swiftType)] = [:]")
        case .oneofMember:
            break
        }
    }

    private func emitMessageProperty(_ plan: FieldPlan, into out: inout CodeWriter) {
        let type = plan.element.swiftType
        guard plan.isBoxed else {
            out.line("public var \(plan.swiftName): \(type)? = nil")
            return
        }
        // A message that (indirectly) contains itself: the array is the heap box that gives
        // the struct a finite size; the property keeps the Optional API.
        out.block("public var \(plan.swiftName): \(type)?") { out in
            out.line("get { \(plan.boxStorageName).first }")
            out.line("set { \(plan.boxStorageName) = newValue.map { [$0] } ?? [] }")
        }
        out.line("var \(plan.boxStorageName): [\(type)] = []")
    }

    private func emitOneofEnum(name: String, members: [FieldPlan], into out: inout CodeWriter) {
        out.block("public enum \(Naming.swiftOneofTypeName(name)): Sendable, Equatable") { out in
            for member in members {
                let indirect = member.isBoxed ? "indirect " : ""
                out.line("\(indirect)case \(member.swiftName)(\(member.element.swiftType))")
            }
        }
    }

    func emitEnum(_ info: TypeRegistry.EnumInfo, into out: inout CodeWriter) throws {
        let localName = info.swiftName.split(separator: ".").last.map(String.init) ?? info.swiftName
        let enumName = info.descriptor.name
        var seen: Set<Int32> = []
        var primary: [(caseName: String, number: Int32)] = []
        var aliases: [(caseName: String, target: String)] = []
        for value in info.descriptor.values {
            let caseName = Naming.swiftEnumCaseName(value.name, enumName: enumName)
            if seen.insert(value.number).inserted {
                primary.append((caseName, value.number))
            } else if let target = primary.first(where: { $0.number == value.number }) {
                aliases.append((caseName, target.caseName))
            }
        }
        guard let first = primary.first else { throw GeneratorError("enum \(info.fullName) has no values") }
        out.block("public enum \(localName): Sendable, Hashable, RawRepresentable") { out in
            for entry in primary { out.line("case \(entry.caseName)") }
            out.line("/// A value this build does not know (proto3 enums are open).")
            out.line("case unrecognized(Int32)")
            for alias in aliases { out.line("public static let \(alias.caseName): Self = .\(alias.target)") }
            out.line()
            out.line("public init() { self = .\(first.caseName) }")
            out.line()
            out.block("public init(rawValue: Int32)") { out in
                out.switchBlock("rawValue") { out in
                    for entry in primary { out.line("case \(entry.number): self = .\(entry.caseName)") }
                    out.line("default: self = .unrecognized(rawValue)")
                }
            }
            out.line()
            out.block("public var rawValue: Int32") { out in
                out.switchBlock("self") { out in
                    for entry in primary { out.line("case .\(entry.caseName): return \(entry.number)") }
                    out.line("case .unrecognized(let value): return value")
                }
            }
        }
    }
}
