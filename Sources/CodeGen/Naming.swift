/// Name rules, in one place: the Swift names of the contract (COMMON.md "Generated names") and
/// the C names protoc-c 1.4 derives (its c_helpers.cc), which generated Swift must reproduce
/// exactly to reach the C structs.
public enum Naming {
    // MARK: Swift

    /// `bench.v1` -> `Bench_V1_`; empty package -> "".
    public static func swiftPrefix(package: String) -> String {
        guard !package.isEmpty else { return "" }
        return package.split(separator: ".").map { capitalizeFirst(String($0)) }.joined(separator: "_") + "_"
    }

    /// `response_size` -> `responseSize`, escaped when it is a Swift keyword.
    public static func swiftFieldName(_ protoName: String) -> String {
        escapeKeyword(lowerCamel(protoName))
    }

    /// rpc `UnaryCall` -> `unaryCall`.
    public static func swiftMethodName(_ rpcName: String) -> String {
        escapeKeyword(lowerFirst(rpcName))
    }

    /// oneof `message_request` -> `OneOf_MessageRequest`.
    public static func swiftOneofTypeName(_ oneofName: String) -> String {
        "OneOf_" + upperCamel(oneofName)
    }

    /// A nested type's Swift name; names that mean something else as a member type are suffixed.
    public static func swiftNestedTypeName(_ name: String) -> String {
        ["Type", "Protocol", "Self"].contains(name) ? name + "_" : name
    }

    /// Enum value `COLOR_RED` of enum `Color` -> `red`; `NOT_SERVING` of `ServingStatus` -> `notServing`.
    public static func swiftEnumCaseName(_ valueName: String, enumName: String) -> String {
        var name = valueName
        let prefix = camelToUpperSnake(enumName) + "_"
        if name.hasPrefix(prefix) {
            let rest = String(name.dropFirst(prefix.count))
            if let first = rest.first, first.isLetter { name = rest }
        }
        return escapeKeyword(lowerCamel(name.lowercased()))
    }

    public static func lowerCamel(_ snake: String) -> String {
        var result = ""
        var upperNext = false
        for char in snake {
            if char == "_" {
                upperNext = !result.isEmpty
            } else if upperNext {
                result += char.uppercased()
                upperNext = false
            } else {
                result.append(char)
            }
        }
        return result.isEmpty ? "_" : lowerFirst(result)
    }

    public static func upperCamel(_ snake: String) -> String {
        capitalizeFirst(lowerCamel(snake))
    }

    /// `GrpclbRouteType` -> `GRPCLB_ROUTE_TYPE`.
    public static func camelToUpperSnake(_ camel: String) -> String {
        var result = ""
        var previous: Character?
        for char in camel {
            if char.isUppercase, let previous, previous.isLowercase || previous.isNumber { result += "_" }
            result += char.uppercased()
            previous = char
        }
        return result
    }

    static let swiftKeywords: Set<String> = [
        "associatedtype", "class", "deinit", "enum", "extension", "fileprivate", "func", "import", "init",
        "inout", "internal", "let", "open", "operator", "private", "precedencegroup", "protocol", "public",
        "rethrows", "static", "struct", "subscript", "typealias", "var", "break", "case", "catch", "continue",
        "default", "defer", "do", "else", "fallthrough", "for", "guard", "if", "in", "repeat", "return",
        "throw", "switch", "where", "while", "Any", "as", "await", "false", "is", "nil", "self", "Self",
        "super", "throws", "true", "try", "some", "any",
    ]

    public static func escapeKeyword(_ name: String) -> String {
        swiftKeywords.contains(name) ? "`\(name)`" : name
    }

    static func capitalizeFirst(_ text: String) -> String {
        guard let first = text.first else { return text }
        return first.uppercased() + text.dropFirst()
    }

    static func lowerFirst(_ text: String) -> String {
        guard let first = text.first else { return text }
        return first.lowercased() + text.dropFirst()
    }

    // MARK: C (protoc-c)

    /// Struct / enum typedef name: `bench.v1.Order` -> `Bench__V1__Order` (FullNameToC).
    public static func cTypeName(fullName: String) -> String {
        fullName.split(separator: ".").map { cToCamel(String($0)) }.joined(separator: "__")
    }

    /// Function prefix: `xsc.codectest.v1.TreeNode` -> `xsc__codectest__v1__tree_node` (FullNameToLower).
    public static func cFunctionPrefix(fullName: String) -> String {
        fullName.split(separator: ".").map { cCamelToLower(String($0)) }.joined(separator: "__")
    }

    /// Struct member name of a field: lower-cased, C/C++ keywords get a trailing `_` (FieldName).
    public static func cFieldName(_ protoName: String) -> String {
        let lowered = protoName.lowercased()
        return cKeywords.contains(lowered) ? lowered + "_" : lowered
    }

    /// Member holding which oneof field is set: `choice` -> `choice_case`.
    public static func cOneofCaseName(_ oneofName: String) -> String {
        oneofName.lowercased() + "_case"
    }

    static func cToCamel(_ name: String) -> String {
        var result = ""
        var upperNext = true
        for char in name {
            if char == "_" {
                upperNext = true
            } else if upperNext {
                result += asciiUpper(char)
                upperNext = false
            } else {
                result.append(char)
            }
        }
        return result
    }

    static func cCamelToLower(_ name: String) -> String {
        var result = ""
        var wasUpper = true
        for char in name {
            let isUpper = char.isASCII && char.isUppercase
            if isUpper {
                if !wasUpper { result += "_" }
                result += char.lowercased()
            } else {
                result.append(char)
            }
            wasUpper = isUpper
        }
        return result
    }

    private static func asciiUpper(_ char: Character) -> String {
        char.isASCII ? char.uppercased() : String(char)
    }

    static let cKeywords: Set<String> = [
        "and", "and_eq", "asm", "auto", "bitand", "bitor", "bool", "break", "case", "catch", "char", "class",
        "compl", "const", "const_cast", "continue", "default", "delete", "do", "double", "dynamic_cast", "else",
        "enum", "explicit", "extern", "false", "float", "for", "friend", "goto", "if", "inline", "int", "long",
        "mutable", "namespace", "new", "not", "not_eq", "operator", "or", "or_eq", "private", "protected",
        "public", "register", "reinterpret_cast", "return", "short", "signed", "sizeof", "static",
        "static_cast", "struct", "switch", "template", "this", "throw", "true", "try", "typedef", "typeid",
        "typename", "union", "unsigned", "using", "virtual", "void", "volatile", "wchar_t", "while", "xor",
        "xor_eq",
    ]
}
