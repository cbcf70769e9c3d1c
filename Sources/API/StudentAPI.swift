import Community
import Core
import Pipeline
import Postgres
import RPC
import Store
import UseCases

/// `student.*`: which students a customer (a parent) acts for (seed 003). An admin or the office
/// records the links; a customer then books with `meeting.request` and `student_id`.
enum StudentAPI {
    static var all: [MethodDefinition] { [link, unlink, list] }

    static let pair: [Schema.Field] = [
        .init("customer_id", .id(.person), required: true, "The user who books and pays (a customer, a parent)"),
        .init("student_id", .id(.person), required: true, "The person the meetings are for"),
    ]
    /// What student.link and student.unlink answer: whether the customer now acts for the student.
    static let linkResult: Schema = .named("StudentLinkState", .object([
        .init("customer_id", .id(.person), required: true), .init("student_id", .id(.person), required: true),
        .init("linked", .boolean, required: true, "true after student.link, false after student.unlink"),
    ], additional: true))

    /// One customer–student link, as student.list pages them.
    static let linkSchema: Schema = .named("StudentLink", .object([
        .init("customer_id", .id(.person), required: true), .init("customer_name", .text(), required: true),
        .init("student_id", .id(.person), required: true), .init("student_name", .text(), required: true),
        .init("linked_at", .timestamp, required: true),
    ], additional: true))

    static let link = MethodDefinition(
        "student.link", "Lets a customer act for a student: book meetings for them, paid from the customer's wallet. One of two people acts for the other, not both ways: a link whose reverse exists is refused (-32602 on student_id)",
        audience: .roles([.admin, .office]), mutating: true, params: pair, result: linkResult, errors: [DocErrors.notFound],
        examples: [Examples.studentLink],
        body: .command(DirectoryUseCases.linkStudent()))

    static let unlink = MethodDefinition(
        "student.unlink", "Ends a customer's acting for a student: their meetings stay as they are and can be declined, withdrawn, cancelled or logged, but neither side accepts or moves them until the two are linked again",
        audience: .roles([.admin, .office]), mutating: true, params: pair, result: linkResult, errors: [DocErrors.notFound],
        body: .transaction { ctx, params in
            let customerId = try params.string("customer_id"), studentId = try params.string("student_id")
            guard try StudentStore.unlink(ctx.db, communityId: ctx.communityId, customerId: customerId, studentId: studentId) else {
                throw AppError.notFound("student link", "\(customerId) → \(studentId)")
            }
            return ["customer_id": .string(customerId), "student_id": .string(studentId), "linked": false]
        })

    static let list = MethodDefinition(
        "student.list",
        "Customer–student links: a customer's students (customer_id), a student's customers (student_id), or, with neither, the community's (admins and the office) or one's own (anyone else: the links they are part of, as customer or as student). Customers and students see their own",
        audience: .member, mutating: false,
        params: [.init("customer_id", .id(.person)), .init("student_id", .id(.person))] + Page.fields,
        result: Page.resultSchema(linkSchema), errors: [DocErrors.notFound],
        body: .read(ReadPlan(
            statements: { scope, p in
                let page = try Page(p, key: [.text, .text])
                let after = page.after.map { _ in (page.afterString(0) ?? "", page.afterString(1) ?? "") }
                let (customer, student) = (p.optionalString("customer_id"), p.optionalString("student_id"))
                guard customer != nil || student != nil else {
                    // Neither named: the community's links, or the reader's own. Both are read
                    // (the reader's roles are known once answered); the answer shows one.
                    return [nil, scope.actorId].map {
                        StudentStore.list(communityId: scope.communityId, customerId: nil, studentId: nil, involving: $0, after: after, limit: page.limit + 1)
                    }
                }
                return [StudentStore.list(communityId: scope.communityId, customerId: customer, studentId: student, after: after, limit: page.limit + 1)]
                    + Existence.check(communityId: scope.communityId, people: [customer, student])
            },
            respond: { ctx, rows, p in
                let named = [p.optionalString("customer_id"), p.optionalString("student_id")]
                let links: Rows
                if named.allSatisfy({ $0 == nil }) {
                    links = ctx.actor.hasAny([.admin, .office]) ? rows[0] : rows[1]
                } else {
                    if !named.contains(ctx.actor.id) { try ctx.actor.require(.admin, .office, to: "list other people's students") }
                    try Existence.require(rows, at: 1)
                    links = rows[0]
                }
                return try Page(p, key: [.text, .text]).result(try links.map(StudentStore.json), keyFields: "customer_id", "student_id")
            })))
}
