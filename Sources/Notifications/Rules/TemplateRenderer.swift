import DomainKit
/// Renders a template with its parameters, collecting every problem at once as field
/// violations (the handler turns them into INVALID_ARGUMENT + BadRequest).
public enum TemplateRenderer {
    public static let maxParameterLength = 200

    public struct Rendered: Sendable, Equatable {
        public var text: String
        public var segments: SegmentCounter.Count
    }

    public static func render(templateName: String, parameters: [String: String],
                              regionCode: String) -> Result<Rendered, FieldViolations> {
        var violations = FieldViolations()
        guard let template = TemplateCatalog.all[templateName] else {
            violations.add("template", templateName.isEmpty ? "a template name is required"
                                                            : "unknown template \"\(templateName)\"")
            return .failure(violations)
        }
        for name in template.parameters where parameters[name] == nil {
            violations.add("params[\(name)]", "template \(template.name) needs parameter \"\(name)\"")
        }
        for (name, value) in parameters.sorted(by: { $0.key < $1.key }) {
            if !template.parameters.contains(name) {
                violations.add("params[\(name)]", "template \(template.name) has no parameter \"\(name)\"")
                continue
            }
            if let problem = problem(with: value) { violations.add("params[\(name)]", problem) }
        }
        guard violations.isEmpty else { return .failure(violations) }

        var values = parameters
        values["sig"] = RegionSignatures.signature(for: regionCode)
        let text = substitute(template.text, values)
        return .success(Rendered(text: text, segments: SegmentCounter.count(text)))
    }

    /// Values are shown to a person on a phone: no control characters (they could forge
    /// extra lines), no braces (they could look like unfilled placeholders), bounded length.
    static func problem(with value: String) -> String? {
        let trimmed = value.trimmedForPeople
        if trimmed.isEmpty { return "must not be empty" }
        if value.count > maxParameterLength { return "must be at most \(maxParameterLength) characters" }
        if value.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            return "must not contain control characters or line breaks"
        }
        if value.contains("{") || value.contains("}") { return "must not contain braces" }
        return nil
    }

    /// One pass over the template: `{name}` is replaced by its value; values are never
    /// scanned again, so a value cannot inject another placeholder.
    static func substitute(_ template: String, _ values: [String: String]) -> String {
        var output = ""
        var rest = Substring(template)
        while let open = rest.firstIndex(of: "{"), let close = rest[open...].firstIndex(of: "}") {
            output += rest[..<open]
            let name = String(rest[rest.index(after: open)..<close])
            output += values[name] ?? "{\(name)}"
            rest = rest[rest.index(after: close)...]
        }
        output += rest
        return output
    }
}
