import DomainKit
import Messages

/// A customer as typed, checked and normalised: the only shape the flow stores.
struct ValidCustomer: Sendable, Equatable {
    struct Phone: Sendable, Equatable {
        var digits: String
        var isMobile: Bool
    }

    struct Contact: Sendable, Equatable {
        var name = ""
        var phone = ""
        var notes = ""
    }

    let name: String
    var phones: [Phone]
    let address: String
    var districtID: String
    var kind: Int32
    var decisionMaker: Contact
    var purchaser: Contact
    var grade: Int32
    var tags: [String]
    /// The name and address as the near-duplicate rules compare them, made once: a
    /// registration uses each twice (the check and the row) and an import row three times.
    let nameKey: String
    let addressKey: String

    init(name: String, phones: [Phone], address: String, districtID: String, kind: Int32, decisionMaker: Contact,
         purchaser: Contact, grade: Int32, tags: [String]) {
        self.name = name
        self.phones = phones
        self.address = address
        self.districtID = districtID
        self.kind = kind
        self.decisionMaker = decisionMaker
        self.purchaser = purchaser
        self.grade = grade
        self.tags = tags
        nameKey = NearDuplicateRules.key(name)
        addressKey = NearDuplicateRules.key(address)
    }
}

/// Strict input rules ("准确无错别字"): every bad field of a request reported at once, with the
/// proto's field path and a message the person can act on.
enum CustomerValidation {
    static let maxName = 50
    static let maxAddress = 200
    static let maxNotes = 1000
    static let maxPhones = 5
    static let maxTags = 20
    static let maxTag = 20

    /// Checks `input` (field paths under `prefix`, e.g. "customer").
    static func validate(_ input: Xsc_Customers_V1_CustomerInput?, prefix: String = "customer") throws -> ValidCustomer {
        var problems = FieldViolations()
        let valid = check(input ?? Xsc_Customers_V1_CustomerInput(), prefix: prefix, into: &problems)
        try problems.check()
        return valid
    }

    static func check(_ input: Xsc_Customers_V1_CustomerInput, prefix: String, into problems: inout FieldViolations) -> ValidCustomer {
        let name = input.name.trimmedForPeople
        if let problem = PeopleText.problem(with: name, maxLength: maxName) {
            problems.add("\(prefix).name", "the customer's name: \(problem)")
        } else if !hasLetter(name) {
            problems.add("\(prefix).name", "the customer's name must contain letters (a person's or an organisation's name)")
        }

        var phones: [ValidCustomer.Phone] = []
        if input.phones.isEmpty {
            problems.add("\(prefix).phones", "required: at least one mainland phone number (mobile, or landline with its area code)")
        } else if input.phones.count > maxPhones {
            problems.add("\(prefix).phones", "at most \(maxPhones) phone numbers (got \(input.phones.count))")
        }
        for (index, raw) in input.phones.prefix(maxPhones).enumerated() {
            // Parsed once; `MainlandPhone.problem` (which parses again and counts the raw text's
            // characters for its message) only for a number that does not parse.
            guard let phone = MainlandPhone(raw) else {
                problems.add("\(prefix).phones[\(index)]", MainlandPhone.problem(with: raw) ?? "not a mainland phone number")
                continue
            }
            if phones.contains(where: { $0.digits == phone.digits }) {
                problems.add("\(prefix).phones[\(index)]", "the same number twice: remove the repeat")
            } else {
                phones.append(.init(digits: phone.digits, isMobile: phone.kind == .mobile))
            }
        }

        let address = input.address.trimmedForPeople
        problems.add("\(prefix).address", ifProblem: PeopleText.problem(with: address, maxLength: maxAddress).map { "the address: \($0)" })
        let district = input.districtId.trimmedForPeople
        if !district.isEmpty, !district.unicodeScalars.allSatisfy({ ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" }) || district.count > 64 {
            problems.add("\(prefix).district_id", "not a district id (lower-case letters, digits and '-', e.g. cq-o1-d3): \(district.prefix(64))")
        }
        if case .unrecognized(let value) = input.kind {
            problems.add("\(prefix).kind", "unknown customer kind \(value)")
        }
        if case .unrecognized(let value) = input.grade {
            problems.add("\(prefix).grade", "unknown grade \(value): use A, B or C")
        }
        let decisionMaker = contact(input.decisionMaker, field: "\(prefix).decision_maker", into: &problems)
        let purchaser = contact(input.purchaser, field: "\(prefix).purchaser", into: &problems)

        var tags: [String] = []
        if input.tags.count > maxTags { problems.add("\(prefix).tags", "at most \(maxTags) tags (got \(input.tags.count))") }
        for (index, raw) in input.tags.prefix(maxTags).enumerated() {
            let tag = raw.trimmedForPeople
            if let problem = PeopleText.problem(with: tag, maxLength: maxTag) {
                problems.add("\(prefix).tags[\(index)]", "a tag: \(problem)")
            } else if !tags.contains(tag) {
                tags.append(tag)
            }
        }
        return ValidCustomer(name: name, phones: phones, address: address, districtID: district, kind: input.kind.rawValue,
                             decisionMaker: decisionMaker, purchaser: purchaser, grade: input.grade.rawValue, tags: tags)
    }

    /// Whether `text` has a letter: by scalar for ASCII and CJK ideographs (what names are made
    /// of: a CJK ideograph or an ASCII letter is a letter on its own, whatever follows it), by
    /// Character for anything else, as `Character.isLetter` decides.
    static func hasLetter(_ text: String) -> Bool {
        for scalar in text.unicodeScalars {
            switch scalar.value {
            case 0x41...0x5A, 0x61...0x7A, 0x4E00...0x9FFF, 0x3400...0x4DBF: return true
            case 0..<0x80: continue
            default: return text.contains(where: { $0.isLetter })
            }
        }
        return false
    }

    private static func contact(_ input: Xsc_Customers_V1_Contact?, field: String, into problems: inout FieldViolations) -> ValidCustomer.Contact {
        guard let input else { return .init() }
        let name = input.name.trimmedForPeople
        let notes = input.notes.trimmedForPeople
        var contact = ValidCustomer.Contact(name: name, phone: "", notes: notes)
        let phoneTyped = !input.phone.trimmedForPeople.isEmpty
        if !name.isEmpty || phoneTyped || !notes.isEmpty {
            problems.add(field + ".name", ifProblem: PeopleText.problem(with: name, maxLength: maxName))
        }
        if phoneTyped {
            if let phone = MainlandPhone(input.phone) {
                contact.phone = phone.digits
            } else {
                problems.add(field + ".phone", MainlandPhone.problem(with: input.phone) ?? "not a mainland phone number")
            }
        }
        problems.add(field + ".notes", ifProblem: PeopleText.multilineProblem(with: notes, required: false, maxLength: maxNotes))
        return contact
    }
}
