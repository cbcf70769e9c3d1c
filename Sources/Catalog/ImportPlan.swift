import Community
import Core
import Ledger
import Meetings
import Scheduling

/// What an import reads before it decides: the people the file names (by e-mail) and the
/// owners of the services it names, those services (by name), and the certifications and
/// enrolments that already hold for them.
public struct ImportFacts: Sendable {
    public var people: [PersonFacts]
    public var services: [ServiceFacts]
    public var certifications: Set<Certification>
    public var enrollments: Set<Enrollment>
    /// The zone names PostgreSQL reads as zones (nil: not checked against the database).
    public var databaseZones: Set<String>?

    public init(people: [PersonFacts], services: [ServiceFacts], certifications: Set<Certification>, enrollments: Set<Enrollment>, databaseZones: Set<String>?) {
        self.people = people
        self.services = services
        self.certifications = certifications
        self.enrollments = enrollments
        self.databaseZones = databaseZones
    }
}

public struct Certification: Hashable, Sendable {
    public let serviceId: String
    public let expertId: String

    public init(serviceId: String, expertId: String) {
        self.serviceId = serviceId
        self.expertId = expertId
    }
}

public struct Enrollment: Hashable, Sendable {
    public let userId: String
    public let serviceId: String?
    public let expertId: String?

    public init(userId: String, serviceId: String?, expertId: String?) {
        self.userId = userId
        self.serviceId = serviceId
        self.expertId = expertId
    }
}

/// One row's outcome.
public struct ImportChange: Sendable, Equatable {
    public enum Action: String, Sendable {
        case create, update, unchanged
    }

    public let line: Int
    public let action: Action
    /// What the row is about, as a person recognises it (an e-mail, a service's name…).
    public let subject: String
}

/// Everything an import writes, applied in one statement.
public struct ImportWrites: Sendable, Equatable {
    public var newPeople: [PersonFacts] = []
    public var changedPeople: [PersonFacts] = []
    /// Ledger accounts the people's roles open: a wallet for a user, earnings for an expert.
    public var accounts: [(id: String, kind: AccountKind, ownerId: String)] = []
    public var newServices: [ServiceFacts] = []
    public var changedServices: [ServiceFacts] = []
    public var certifications: [Certification] = []
    public var enrollments: [Enrollment] = []

    public var isEmpty: Bool {
        newPeople.isEmpty && changedPeople.isEmpty && newServices.isEmpty && changedServices.isEmpty && certifications.isEmpty && enrollments.isEmpty
    }

    public static func == (a: ImportWrites, b: ImportWrites) -> Bool {
        a.newPeople == b.newPeople && a.changedPeople == b.changedPeople && a.accounts.map(\.id) == b.accounts.map(\.id)
            && a.newServices == b.newServices && a.changedServices == b.changedServices && a.certifications == b.certifications
            && a.enrollments == b.enrollments
    }
}

/// An import decided over the whole file: each row's outcome and the writes, or (thrown) every
/// problem of every row. A file with any problem changes nothing.
public struct ImportPlan: Sendable, Equatable {
    public var changes: [ImportChange] = []
    public var writes = ImportWrites()

    public func count(_ action: ImportChange.Action) -> Int { changes.filter { $0.action == action }.count }
}

/// The import's one decision (seed 002: "download, fill in, upload").
public enum ImportDecider {
    /// `unread`: the problems of rows the file could not give (reported with the others, in line order).
    public static func decide(
        _ kind: SheetKind, rows: [SheetRow], unread: ImportProblems = ImportProblems(), facts: ImportFacts, newId: @escaping (IdKind) -> String
    ) throws -> ImportPlan {
        var state = State(facts: facts, newId: newId)
        state.problems = unread
        for row in rows {
            do {
                switch kind {
                case .people: try state.person(row)
                case .services: try state.service(row)
                case .certifications: try state.certification(row)
                case .enrollments: try state.enrollment(row)
                }
            } catch let e as RowChecks {
                for problem in e.found { state.problems.add(row.line, Self.words(problem)) }
            } catch let e as AppError {
                state.problems.add(row.line, Self.words(e))
            }
        }
        guard state.problems.list.isEmpty else { throw ImportProblems(state.problems.list.sorted { $0.line < $1.line }) }
        return state.plan
    }

    /// A row's problem as the import lists it: the column, then what is wrong with it.
    static func words(_ e: AppError) -> String {
        let field = e.details["field"]?.stringValue ?? ""
        return e.details["reason"].flatMap(\.stringValue).map { field.isEmpty ? $0 : "\(field) \($0)" } ?? e.message
    }

    /// Every column's problem of one row, not only the first, so a file is mended in one pass:
    /// each check runs, and the row then fails with all that failed.
    struct RowChecks: Error {
        var found: [AppError] = []

        /// The check's value, or nil (its problem kept) when it fails; an error that is no row's
        /// problem goes on as it is.
        mutating func check<T>(_ body: () throws -> T) rethrows -> T? {
            do { return try body() } catch let e as AppError {
                found.append(e)
                return nil
            }
        }

        func throwIfAny() throws { if !found.isEmpty { throw self } }
    }

    struct State {
        var people: [String: PersonFacts]
        var services: [String: ServiceFacts]
        var peopleById: [String: PersonFacts]
        let facts: ImportFacts
        let newId: (IdKind) -> String
        var plan = ImportPlan()
        var problems = ImportProblems()
        /// The line where each e-mail, service name or pair first appeared in the file.
        var firstRows = OncePerFile()

        init(facts: ImportFacts, newId: @escaping (IdKind) -> String) {
            self.facts = facts
            self.newId = newId
            people = Dictionary(facts.people.map { ($0.email.lowercased(), $0) }) { a, _ in a }
            peopleById = Dictionary(facts.people.map { ($0.id, $0) }) { a, _ in a }
            services = Dictionary(facts.services.map { (NameRule.key($0.name), $0) }) { a, _ in a }
        }

        func invalid(_ column: String, _ reason: String) -> AppError { AppError.invalidParams(field: column, reason: reason) }

        /// Each e-mail, name or pair once per file (`SheetKind.identity`): a second row would
        /// contradict or repeat the first.
        mutating func once(_ kind: SheetKind, _ row: SheetRow) throws {
            if let problem = firstRows.repeated(kind, row) { throw invalid("", problem) }
        }

        mutating func record(_ row: SheetRow, _ action: ImportChange.Action, _ subject: String) {
            plan.changes.append(ImportChange(line: row.line, action: action, subject: subject))
        }

        /// The person a column names, holding `role` unless `roleOptional`: a row that only
        /// repeats what is stored (a page exported after an expert's role was taken away, which
        /// keeps their certifications for a return) names them without it.
        func person(email: String, role: Role, column: String, roleOptional: Bool = false) throws -> PersonFacts {
            guard !email.isEmpty else { throw invalid(column, "is empty") }
            guard let p = people[email.lowercased()] else { throw invalid(column, "names no person of this community (\(email))") }
            if !roleOptional { try requireRole(p, role, column) }
            return p
        }

        func requireRole(_ p: PersonFacts, _ role: Role, _ column: String) throws {
            guard p.has(role) else { throw invalid(column, "\(p.email) does not have the \(role.rawValue) role") }
        }

        func service(named name: String) throws -> ServiceFacts {
            guard let s = services[NameRule.key(name)] else { throw invalid("service", "names no service of this community (\(name))") }
            return s
        }

        static func number(_ row: SheetRow, _ column: String, _ range: ClosedRange<Int64>, step: Int64 = 1) throws -> Int64 {
            guard let v = Int64(row[column]), range.contains(v), v % step == 0 else {
                let steps = step == 1 ? "" : " in steps of \(step)"
                throw AppError.invalidParams(field: column, reason: "must be a whole number from \(range.lowerBound) to \(range.upperBound)\(steps)")
            }
            return v
        }

        static func validate(_ schema: Schema, _ value: String, _ column: String) throws {
            try schema.validate(.string(value), path: column, limits: .standard)
        }

        // MARK: People

        mutating func person(_ row: SheetRow) throws {
            let email = row["email"]
            var checks = RowChecks()
            try checks.check { try Self.validate(.email, email, "email") }
            try checks.check { try once(.people, row) }
            let names = try ["first_name", "last_name"].map { column in
                try checks.check { () throws -> String in
                    try Self.validate(.givenName, row[column], column)
                    return try NameRule.stored(row[column], field: column)
                }
            }
            let roles = try checks.check { () throws -> Set<Role> in
                let names = Sheet.list(row["roles"])
                guard !names.isEmpty else { throw invalid("roles", "is empty; give one or more of \(Role.allCases.map(\.rawValue).joined(separator: ";"))") }
                var roles: Set<Role> = []
                for name in names {
                    guard let role = Role(rawValue: name.lowercased()) else {
                        // "user,office" is a list written with the wrong separator.
                        let separator = name.contains(",") ? "; a list's items are separated by ; (user;office)" : ""
                        throw invalid("roles", "has \(name), which is not one of \(Role.allCases.map(\.rawValue).joined(separator: ", "))\(separator)")
                    }
                    roles.insert(role)
                }
                return roles
            }
            // A zone's name in another case (america/new_york) is the zone PostgreSQL names so.
            let zone = TimeZones.canonical(row["time_zone"], among: facts.databaseZones)
            try checks.check {
                if zone.isEmpty { throw invalid("time_zone", "is empty; give an IANA time zone name such as Europe/Prague or America/New_York") }
                if let reason = TimeZones.refusal(zone, databaseNames: facts.databaseZones) { throw invalid("time_zone", reason) }
            }
            try checks.throwIfAny()
            guard let first = names[0], let last = names[1], let roles else { preconditionFailure("every check passed") }
            guard let existing = people[email.lowercased()] else {
                let p = PersonFacts(id: newId(.person), email: email, firstName: first, lastName: last, roles: roles, timeZone: zone)
                plan.writes.newPeople.append(p)
                openAccounts(p.id, roles)
                record(row, .create, email)
                return
            }
            let kept = existing.roles.subtracting(roles)
            guard kept.isEmpty else {
                let all = existing.roles.union(roles).map(\.rawValue).sorted().joined(separator: ";")
                throw invalid(
                    "roles", "leaves out \(kept.map(\.rawValue).sorted().joined(separator: ", ")), which \(email) holds; an import adds roles "
                        + "and never takes one away: write \(all)")
            }
            var changed = existing
            changed.firstName = first
            changed.lastName = last
            changed.roles = roles
            changed.timeZone = zone
            guard changed != existing else { return record(row, .unchanged, email) }
            plan.writes.changedPeople.append(changed)
            openAccounts(existing.id, roles.subtracting(existing.roles))
            record(row, .update, email)
        }

        mutating func openAccounts(_ personId: String, _ roles: Set<Role>) {
            if roles.contains(.user) { plan.writes.accounts.append((newId(.account), .userWallet, personId)) }
            if roles.contains(.expert) { plan.writes.accounts.append((newId(.account), .expertEarnings, personId)) }
        }

        // MARK: Services

        mutating func service(_ row: SheetRow) throws {
            var checks = RowChecks()
            let named = try checks.check { () throws -> String in
                try Self.validate(.givenName, row["name"], "name")
                return try NameRule.stored(row["name"], field: "name")
            }
            try checks.check { try once(.services, row) }
            let kind = try checks.check { () throws -> ServiceFacts.Kind in
                // Spreadsheets capitalise a cell's first letter (Generic): any case is the kind.
                guard let kind = ServiceFacts.Kind(rawValue: row["kind"].lowercased()) else {
                    throw invalid("kind", row["kind"].isEmpty ? "is empty; give generic or expert_specific" : "must be generic or expert_specific")
                }
                return kind
            }
            // In 5-minute steps, but for the length a service stored before that rule has: its
            // export imports back unchanged.
            let stored = named.flatMap { services[NameRule.key($0)] }?.defaultLengthMinutes
            let length = try checks.check { () throws -> Int64 in
                let given = try Self.number(row, "default_length_minutes", 5...1440)
                return given == stored ? given : try Self.number(row, "default_length_minutes", 5...1440, step: 5)
            }
            let price = try checks.check { try Self.number(row, "price_credits", 0...Limits.standard.maxCredits) }
            // A skill named twice is kept once (an export of a service stored before skills had to
            // be distinct still imports).
            let skills = Sheet.list(row["skills"]).uniqued(), questions = Sheet.list(row["agenda_questions"])
            try checks.check {
                for (i, skill) in skills.enumerated() { try Self.validate(.givenName, skill, "skills[\(i)]") }
                if skills.count > 100 { throw invalid("skills", "has \(skills.count) values; at most 100") }
            }
            try checks.check {
                for (i, question) in questions.enumerated() { try Self.validate(.text(min: 1, max: 500), question, "agenda_questions[\(i)]") }
                if questions.count > 50 { throw invalid("agenda_questions", "has \(questions.count) values; at most 50") }
            }
            // As service.set_active: false retires the service, true offers it again.
            let active = try checks.check { () throws -> Bool? in
                switch row["active"].lowercased() {
                case "": return nil
                case "true": return true
                case "false": return false
                default: throw invalid("active", "must be true or false")
                }
            }
            // The service's expert, once its name and kind are read. A service's kind and its
            // expert are what its certifications and meetings rest on: a file does not turn a
            // shared service into someone's own or the other way (`kind`), nor hand it to another
            // expert (`expert(of:)`; service.certify keeps the same rule).
            let existing = named.flatMap { services[NameRule.key($0)] }
            if let existing, let kind, kind != existing.kind {
                try checks.check {
                    throw invalid(
                        "kind", "cannot change from \(existing.kind.rawValue) to \(kind.rawValue): its certifications and meetings rest on it; give the new kind a service of another name")
                }
            }
            let owner = try kind.flatMap { kind in try checks.check { try expert(of: row, kind: kind, existing: existing) } }
            try checks.throwIfAny()
            guard let name = named, let kind, let length, let price, let active, let owner else { preconditionFailure("every check passed") }
            guard let existing else {
                let s = ServiceFacts(
                    id: newId(.service), name: name, kind: kind, expertId: owner.id, defaultLengthMinutes: length, priceCredits: price, skills: skills,
                    agendaQuestions: questions, active: active ?? true)
                plan.writes.newServices.append(s)
                services[NameRule.key(name)] = s
                return record(row, .create, name)
            }
            var changed = existing
            (changed.defaultLengthMinutes, changed.priceCredits) = (length, price)
            // An optional column the file leaves out keeps what is stored.
            if row.has("skills") { changed.skills = skills }
            if row.has("agenda_questions") { changed.agendaQuestions = questions }
            if let active { changed.active = active }
            guard changed != existing else { return record(row, .unchanged, name) }
            plan.writes.changedServices.append(changed)
            record(row, .update, name)
        }

        /// Whose own service a row's is (`id` nil: a generic service's, nobody's).
        struct ServiceExpert {
            let id: String?
        }

        /// The expert of a row's service of `kind`: the one it names, or, for a stored expert's
        /// own service the file leaves the column out of, the one it has.
        func expert(of row: SheetRow, kind: ServiceFacts.Kind, existing: ServiceFacts?) throws -> ServiceExpert {
            if kind == .expertSpecific, !row.has("expert_email"), let existing, existing.kind == .expertSpecific {
                // A file that leaves the column out keeps the service's expert, as it keeps the
                // other optional columns.
                return ServiceExpert(id: existing.expertId)
            }
            if kind == .expertSpecific {
                let expert = try person(email: row["expert_email"], role: .expert, column: "expert_email", roleOptional: true)
                if let existing, existing.kind == .expertSpecific {
                    // Their own service as stored: the file repeats it (whatever their roles now).
                    guard expert.id == existing.expertId else {
                        let stored = existing.expertId.flatMap { peopleById[$0] }
                        throw invalid(
                            "expert_email",
                            "cannot change: \(existing.name) is \(stored.map { "\($0.fullName)'s (\($0.email))" } ?? "another expert's") own service; give the other expert a service of another name")
                    }
                    return ServiceExpert(id: expert.id)
                }
                // A new one (or a shared one, whose kind is refused) needs an expert.
                try requireRole(expert, .expert, "expert_email")
                return ServiceExpert(id: expert.id)
            }
            guard row["expert_email"].isEmpty else { throw invalid("expert_email", "is only for expert_specific services") }
            return ServiceExpert(id: nil)
        }

        // MARK: Certifications and enrolments

        mutating func certification(_ row: SheetRow) throws {
            let service = try service(named: row["service"])
            let expert = try person(email: row["expert_email"], role: .expert, column: "expert_email", roleOptional: true)
            try once(.certifications, row)
            let subject = "\(expert.email) in \(service.name)"
            // What holds already (a certification, or the service being the expert's own) is
            // repeated, whatever the expert's roles are now.
            if facts.certifications.contains(Certification(serviceId: service.id, expertId: expert.id)) || service.expertId == expert.id {
                return record(row, .unchanged, subject)
            }
            try requireRole(expert, .expert, "expert_email")
            let owner = service.expertId.flatMap { peopleById[$0] }
            // The rule names the method's params; a CSV line names its columns.
            let outcome: CertificationRule.Outcome
            do {
                outcome = try CertificationRule.certify(expert, in: service, ownerName: owner?.fullName)
            } catch let e as AppError {
                let column = ["service_id": "service", "expert_id": "expert_email"][e.details["field"]?.stringValue ?? ""] ?? ""
                throw invalid(column, e.details["reason"]?.stringValue ?? e.message)
            }
            switch outcome {
            case .holdsByOwnership:
                record(row, .unchanged, subject)
            case .record:
                let c = Certification(serviceId: service.id, expertId: expert.id)
                if facts.certifications.contains(c) { return record(row, .unchanged, subject) }
                plan.writes.certifications.append(c)
                record(row, .create, subject)
            }
        }

        mutating func enrollment(_ row: SheetRow) throws {
            let user = try person(email: row["user_email"], role: .user, column: "user_email", roleOptional: true)
            let serviceName = row["service"], expertEmail = row["expert_email"]
            guard serviceName.isEmpty != expertEmail.isEmpty else { throw invalid("service", "or expert_email: give exactly one of the two") }
            let service = serviceName.isEmpty ? nil : try service(named: serviceName)
            let expert = expertEmail.isEmpty ? nil : try person(email: expertEmail, role: .expert, column: "expert_email", roleOptional: true)
            let e = Enrollment(userId: user.id, serviceId: service?.id, expertId: expert?.id)
            try once(.enrollments, row)
            let subject = "\(user.email) to \(service?.name ?? expert?.email ?? "")"
            // An enrolment that holds is repeated whatever the roles are now; a new one needs them.
            if facts.enrollments.contains(e) { return record(row, .unchanged, subject) }
            try requireRole(user, .user, "user_email")
            if let expert { try requireRole(expert, .expert, "expert_email") }
            plan.writes.enrollments.append(e)
            record(row, .create, subject)
        }
    }
}
