import XCTest

/// A strict reader of the text format, independent of the writer: checks every line's shape
/// and that each family's HELP and TYPE precede its samples.
struct ParsedExposition {
    struct Sample: Equatable {
        var name: String
        var labels: [String: String]
        var value: Double
    }

    var types: [String: String] = [:]
    var samples: [Sample] = []

    enum ParseError: Error { case badLine(String) }

    init(_ text: String) throws {
        var helped: Set<String> = []
        guard text.isEmpty || text.hasSuffix("\n") else { throw ParseError.badLine("no final newline") }
        for line in text.split(separator: "\n", omittingEmptySubsequences: false).dropLast() {
            if line.hasPrefix("# HELP ") {
                let parts = line.dropFirst(7).split(separator: " ", maxSplits: 1)
                guard let name = parts.first else { throw ParseError.badLine(String(line)) }
                helped.insert(String(name))
            } else if line.hasPrefix("# TYPE ") {
                let parts = line.dropFirst(7).split(separator: " ")
                guard parts.count == 2, ["counter", "gauge", "histogram"].contains(parts[1]) else {
                    throw ParseError.badLine(String(line))
                }
                types[String(parts[0])] = String(parts[1])
            } else {
                let sample = try ParsedExposition.parseSample(String(line))
                let family = types.keys.first { sample.name == $0 || sample.name.hasPrefix($0 + "_") }
                guard let family, helped.contains(family) else { throw ParseError.badLine("sample before TYPE/HELP: \(line)") }
                samples.append(sample)
            }
        }
    }

    func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
        samples.first { $0.name == name && $0.labels == labels }?.value
    }

    private static func parseSample(_ line: String) throws -> Sample {
        var characters = Array(line)
        var index = 0
        var name = ""
        while index < characters.count, characters[index] != "{", characters[index] != " " {
            name.append(characters[index])
            index += 1
        }
        var labels: [String: String] = [:]
        if index < characters.count, characters[index] == "{" {
            index += 1
            while index < characters.count, characters[index] != "}" {
                var key = ""
                while index < characters.count, characters[index] != "=" { key.append(characters[index]); index += 1 }
                guard index + 1 < characters.count, characters[index + 1] == "\"" else { throw ParseError.badLine(line) }
                index += 2
                var value = ""
                while index < characters.count, characters[index] != "\"" {
                    if characters[index] == "\\" {
                        index += 1
                        guard index < characters.count else { throw ParseError.badLine(line) }
                        switch characters[index] {
                        case "n": value.append("\n")
                        case "\\", "\"": value.append(characters[index])
                        default: throw ParseError.badLine(line)
                        }
                    } else {
                        value.append(characters[index])
                    }
                    index += 1
                }
                guard index < characters.count else { throw ParseError.badLine(line) }
                index += 1
                labels[key] = value
                if index < characters.count, characters[index] == "," { index += 1 }
            }
            guard index < characters.count else { throw ParseError.badLine(line) }
            index += 1
        }
        guard index < characters.count, characters[index] == " " else { throw ParseError.badLine(line) }
        characters.removeFirst(index + 1)
        let text = String(characters)
        let value: Double? = switch text {
        case "+Inf": .infinity
        case "-Inf": -.infinity
        case "NaN": .nan
        default: Double(text)
        }
        guard let value, !name.isEmpty else { throw ParseError.badLine(line) }
        return Sample(name: name, labels: labels, value: value)
    }
}
