import Community
import Core
import Meetings
import Pipeline
import RPC
import Store

/// `catalog.import_csv` (formerly `import.csv`): services, certifications (by expert email) and enrolments (by user email)
/// from a spreadsheet. Every row is checked first; any bad row fails the whole import with
/// each problem listed by line, and nothing is written.
enum ImportAPI {
    static var all: [MethodDefinition] { [importCSV] }

    static let columns: [String: (required: [String], optional: [String])] = [
        "services": (["name", "kind", "default_length_minutes", "price_credits"], ["expert_email", "skills", "agenda_questions"]),
        "certifications": (["service", "expert_email"], []),
        "enrollments": (["user_email"], ["service", "expert_email"]),
    ]

    struct Problems: Error {
        var list: [(Int, String)] = []
        mutating func add(_ line: Int, _ message: String) { list.append((line, message)) }
    }

    static let importCSV = MethodDefinition(
        "catalog.import_csv", "Imports services, certifications or enrolments from CSV: all rows or none, problems listed by line",
        audience: .roles([.admin]), mutating: true,
        params: [.init("kind", .oneOf(["services", "certifications", "enrollments"]), required: true),
                 .init("csv", .text(min: 1, max: 1_000_000), required: true, "The file's text, with a header row")],
        result: .object([.init("created", .integer(min: 0, max: .max), required: true), .init("updated", .integer(min: 0, max: .max), required: true)]),
        // `import` is a keyword in Python and JavaScript: a generated client could not call `import.csv`.
        aliases: [MethodAlias("import.csv", removedIn: "0.4.0")],
        body: .transaction(run))

    static func run(_ ctx: TransactionContext, _ params: Params) throws -> JSON {
        let kind = try params.string("kind")
        let records: [CSVRecord]
        do { records = try CSVReader.parse(try params.string("csv")) } catch let e as CSVError {
            throw failure([(e.line, e.message)])
        }
        guard let header = records.first else { throw failure([(1, "the file is empty; the first row names the columns")]) }
        let names = header.fields.map { $0.trimmingCharacters(in: " \t").lowercased() }
        let spec = columns[kind]!
        var problems = Problems()
        for required in spec.required where !names.contains(required) { problems.add(header.line, "missing column \(required)") }
        for name in names where !spec.required.contains(name) && !spec.optional.contains(name) {
            problems.add(header.line, "unknown column \(name); expected \((spec.required + spec.optional).joined(separator: ", "))")
        }
        guard problems.list.isEmpty else { throw failure(problems.list) }
        let rows = records.dropFirst()
        guard rows.count <= 10_000 else { throw failure([(rows.first!.line, "at most 10000 rows per import")]) }
        var result = (created: 0, updated: 0)
        for record in rows {
            guard record.fields.count == names.count else {
                problems.add(record.line, "has \(record.fields.count) fields, the header has \(names.count)")
                continue
            }
            var row: [String: String] = [:]
            for (name, value) in zip(names, record.fields) { row[name] = value.trimmingCharacters(in: " \t") }
            do {
                let created: Bool
                switch kind {
                case "services": created = try importService(ctx, row)
                case "certifications": created = try importCertification(ctx, row)
                default: created = try importEnrollment(ctx, row)
                }
                if created { result.created += 1 } else { result.updated += 1 }
            } catch let e as AppError {
                problems.add(record.line, e.details["reason"].flatMap(\.stringValue).map { "\(e.details["field"]?.stringValue ?? "") \($0)" } ?? e.message)
            }
        }
        guard problems.list.isEmpty else { throw failure(problems.list) }
        return ["created": .int(result.created), "updated": .int(result.updated)]
    }

    /// The whole import fails: the request's transaction rolls back, so no row is kept.
    static func failure(_ problems: [(Int, String)]) -> AppError {
        AppError(
            .invalidParams,
            message: "Invalid params: csv has \(problems.count) problem(s); nothing was imported. First: line \(problems[0].0): \(problems[0].1)",
            details: ["field": "csv", "reason": "has problems", "errors": .array(problems.prefix(1000).map { ["line": .int($0.0), "message": .string($0.1)] })])
    }

    static func person(_ ctx: TransactionContext, email: String, role: Role, column: String) throws -> PersonFacts {
        guard !email.isEmpty else { throw AppError.invalidParams(field: column, reason: "is empty") }
        guard let p = try PeopleStore.find(ctx.db, communityId: ctx.communityId, email: email) else {
            throw AppError.invalidParams(field: column, reason: "names no person of this community (\(email))")
        }
        guard p.has(role) else { throw AppError.invalidParams(field: column, reason: "\(email) does not have the \(role.rawValue) role") }
        return p
    }

    static func serviceByName(_ ctx: TransactionContext, _ name: String) throws -> ServiceFacts {
        guard let service = try CatalogStore.service(ctx.db, communityId: ctx.communityId, name: name) else {
            throw AppError.invalidParams(field: "service", reason: "names no service of this community (\(name))")
        }
        return service
    }

    static func number(_ row: [String: String], _ column: String, _ range: ClosedRange<Int64>) throws -> Int64 {
        guard let v = Int64(row[column] ?? ""), range.contains(v) else {
            throw AppError.invalidParams(field: column, reason: "must be a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return v
    }

    static func list(_ text: String?) -> [String] {
        (text ?? "").split(separator: ";").map { String($0).trimmingCharacters(in: " \t") }.filter { !$0.isEmpty }
    }

    /// Creates the service, or updates the one with the same name.
    static func importService(_ ctx: TransactionContext, _ row: [String: String]) throws -> Bool {
        let name = row["name"] ?? ""
        try Schema.name.validate(.string(name), path: "name", limits: .standard)
        guard let kind = ServiceFacts.Kind(rawValue: row["kind"] ?? "") else {
            throw AppError.invalidParams(field: "kind", reason: "must be generic or expert_specific")
        }
        let length = try number(row, "default_length_minutes", 5...1440)
        let price = try number(row, "price_credits", 0...Limits.standard.maxCredits)
        var expertId: String? = nil
        if kind == .expertSpecific {
            expertId = try person(ctx, email: row["expert_email"] ?? "", role: .expert, column: "expert_email").id
        } else if !(row["expert_email"] ?? "").isEmpty {
            throw AppError.invalidParams(field: "expert_email", reason: "is only for expert_specific services")
        }
        return try CatalogStore.upsertService(
            ctx.db, communityId: ctx.communityId,
            ServiceFacts(
                id: Identifier.make(.service), name: name, kind: kind, expertId: expertId, defaultLengthMinutes: length, priceCredits: price,
                skills: list(row["skills"]), agendaQuestions: list(row["agenda_questions"])))
    }

    static func importCertification(_ ctx: TransactionContext, _ row: [String: String]) throws -> Bool {
        let service = try serviceByName(ctx, row["service"] ?? "")
        let expert = try person(ctx, email: row["expert_email"] ?? "", role: .expert, column: "expert_email")
        return try CatalogAPI.certifyExpert(ctx, serviceId: service.id, expertId: expert.id)
    }

    static func importEnrollment(_ ctx: TransactionContext, _ row: [String: String]) throws -> Bool {
        let user = try person(ctx, email: row["user_email"] ?? "", role: .user, column: "user_email")
        let serviceName = row["service"] ?? "", expertEmail = row["expert_email"] ?? ""
        guard serviceName.isEmpty != expertEmail.isEmpty else {
            throw AppError.invalidParams(field: "service", reason: "give exactly one of service or expert_email")
        }
        let serviceId = serviceName.isEmpty ? nil : try serviceByName(ctx, serviceName).id
        let expertId = expertEmail.isEmpty ? nil : try person(ctx, email: expertEmail, role: .expert, column: "expert_email").id
        return try CatalogAPI.enroll(ctx, userId: user.id, serviceId: serviceId, expertId: expertId)
    }
}
