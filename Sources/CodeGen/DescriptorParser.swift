/// Decodes a `FileDescriptorSet` (what `protoc --descriptor_set_out` writes) into the model.
/// Field numbers are descriptor.proto's.
public enum DescriptorParser {
    public struct Error: Swift.Error, CustomStringConvertible {
        public let description: String
    }

    public static func parseSet(_ bytes: [UInt8]) throws -> [FileDescriptor] {
        do {
            var reader = WireReader(bytes[...])
            var files: [FileDescriptor] = []
            while let (field, wireType) = try reader.nextTag() {
                if field == 1, wireType == .lengthDelimited {
                    files.append(try parseFile(try reader.readLengthDelimited()))
                } else {
                    try reader.skip(wireType)
                }
            }
            return files
        } catch let error as WireReader.Error {
            throw Error(description: "malformed descriptor set: \(error.description)")
        }
    }

    static func parseFile(_ bytes: ArraySlice<UInt8>) throws -> FileDescriptor {
        var file = FileDescriptor()
        file.serialized = Array(bytes)
        var reader = WireReader(bytes)
        while let (field, wireType) = try reader.nextTag() {
            switch (field, wireType) {
            case (1, .lengthDelimited): file.name = try reader.readString()
            case (2, .lengthDelimited): file.package = try reader.readString()
            case (3, .lengthDelimited): file.dependencies.append(try reader.readString())
            case (4, .lengthDelimited): file.messages.append(try parseMessage(try reader.readLengthDelimited()))
            case (5, .lengthDelimited): file.enums.append(try parseEnum(try reader.readLengthDelimited()))
            case (6, .lengthDelimited): file.services.append(try parseService(try reader.readLengthDelimited()))
            case (12, .lengthDelimited): file.syntax = try reader.readString()
            default: try reader.skip(wireType)
            }
        }
        return file
    }

    static func parseMessage(_ bytes: ArraySlice<UInt8>) throws -> MessageDescriptor {
        var message = MessageDescriptor()
        var reader = WireReader(bytes)
        while let (field, wireType) = try reader.nextTag() {
            switch (field, wireType) {
            case (1, .lengthDelimited): message.name = try reader.readString()
            case (2, .lengthDelimited): message.fields.append(try parseField(try reader.readLengthDelimited()))
            case (3, .lengthDelimited): message.nestedMessages.append(try parseMessage(try reader.readLengthDelimited()))
            case (4, .lengthDelimited): message.enums.append(try parseEnum(try reader.readLengthDelimited()))
            case (7, .lengthDelimited): message.isMapEntry = try parseMessageOptionsMapEntry(try reader.readLengthDelimited())
            case (8, .lengthDelimited): message.oneofNames.append(try parseNameOnly(try reader.readLengthDelimited()))
            default: try reader.skip(wireType)
            }
        }
        return message
    }

    static func parseField(_ bytes: ArraySlice<UInt8>) throws -> FieldDescriptor {
        var field = FieldDescriptor()
        var reader = WireReader(bytes)
        while let (number, wireType) = try reader.nextTag() {
            switch (number, wireType) {
            case (1, .lengthDelimited): field.name = try reader.readString()
            case (3, .varint): field.number = try reader.readInt32()
            case (4, .varint):
                let raw = Int(try reader.readVarint())
                guard let label = FieldDescriptor.Label(rawValue: raw) else { throw Error(description: "bad label \(raw)") }
                field.label = label
            case (5, .varint):
                let raw = Int(try reader.readVarint())
                guard let kind = FieldDescriptor.Kind(rawValue: raw) else { throw Error(description: "bad field type \(raw)") }
                field.kind = kind
            case (6, .lengthDelimited): field.typeName = try reader.readString()
            case (8, .lengthDelimited): field.packedOption = try parseFieldOptionsPacked(try reader.readLengthDelimited())
            case (9, .varint): field.oneofIndex = Int(try reader.readInt32())
            case (17, .varint): field.isProto3Optional = try reader.readBool()
            default: try reader.skip(wireType)
            }
        }
        return field
    }

    static func parseEnum(_ bytes: ArraySlice<UInt8>) throws -> EnumDescriptor {
        var result = EnumDescriptor()
        var reader = WireReader(bytes)
        while let (field, wireType) = try reader.nextTag() {
            switch (field, wireType) {
            case (1, .lengthDelimited): result.name = try reader.readString()
            case (2, .lengthDelimited):
                var valueReader = WireReader(try reader.readLengthDelimited())
                var name = ""
                var number: Int32 = 0
                while let (valueField, valueWire) = try valueReader.nextTag() {
                    switch (valueField, valueWire) {
                    case (1, .lengthDelimited): name = try valueReader.readString()
                    case (2, .varint): number = try valueReader.readInt32()
                    default: try valueReader.skip(valueWire)
                    }
                }
                result.values.append((name, number))
            default: try reader.skip(wireType)
            }
        }
        return result
    }

    static func parseService(_ bytes: ArraySlice<UInt8>) throws -> ServiceDescriptor {
        var service = ServiceDescriptor()
        var reader = WireReader(bytes)
        while let (field, wireType) = try reader.nextTag() {
            switch (field, wireType) {
            case (1, .lengthDelimited): service.name = try reader.readString()
            case (2, .lengthDelimited): service.methods.append(try parseMethod(try reader.readLengthDelimited()))
            default: try reader.skip(wireType)
            }
        }
        return service
    }

    static func parseMethod(_ bytes: ArraySlice<UInt8>) throws -> MethodDescriptor {
        var method = MethodDescriptor()
        var reader = WireReader(bytes)
        while let (field, wireType) = try reader.nextTag() {
            switch (field, wireType) {
            case (1, .lengthDelimited): method.name = try reader.readString()
            case (2, .lengthDelimited): method.inputType = try reader.readString()
            case (3, .lengthDelimited): method.outputType = try reader.readString()
            case (5, .varint): method.clientStreaming = try reader.readBool()
            case (6, .varint): method.serverStreaming = try reader.readBool()
            default: try reader.skip(wireType)
            }
        }
        return method
    }

    private static func parseNameOnly(_ bytes: ArraySlice<UInt8>) throws -> String {
        var reader = WireReader(bytes)
        var name = ""
        while let (field, wireType) = try reader.nextTag() {
            if field == 1, wireType == .lengthDelimited { name = try reader.readString() } else { try reader.skip(wireType) }
        }
        return name
    }

    /// MessageOptions.map_entry (7).
    private static func parseMessageOptionsMapEntry(_ bytes: ArraySlice<UInt8>) throws -> Bool {
        var reader = WireReader(bytes)
        var mapEntry = false
        while let (field, wireType) = try reader.nextTag() {
            if field == 7, wireType == .varint { mapEntry = try reader.readBool() } else { try reader.skip(wireType) }
        }
        return mapEntry
    }

    /// FieldOptions.packed (2), nil when not set.
    private static func parseFieldOptionsPacked(_ bytes: ArraySlice<UInt8>) throws -> Bool? {
        var reader = WireReader(bytes)
        var packed: Bool?
        while let (field, wireType) = try reader.nextTag() {
            if field == 2, wireType == .varint { packed = try reader.readBool() } else { try reader.skip(wireType) }
        }
        return packed
    }
}
