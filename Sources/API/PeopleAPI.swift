import Community
import Core
import Meetings
import People
import Pipeline
import RPC
import Scheduling
import Store
import UseCases

/// `person.*` and `location.*`.
enum PeopleAPI {
    static var all: [MethodDefinition] { [create, get, list, update, findByEmail, unsuspend, createLocation, updateLocation, listLocations] }

    static let create = MethodDefinition(
        "person.create", "Adds a person to the community with their roles; opens their credit accounts",
        audience: .roles([.admin]), mutating: true,
        params: [
            .init("email", .email, required: true), .init("first_name", .givenName, required: true), .init("last_name", .givenName, required: true),
            .init("roles", .list(.oneOf(Role.allCases.map(\.rawValue)), min: 1, max: 5), required: true),
            .init("time_zone", .text(min: 1, max: 64), required: true, "IANA time zone, e.g. Europe/Prague"),
        ],
        result: PersonFacts.schema, examples: [Examples.personCreate],
        body: .command(PeopleUseCases.create()))

    static let get = MethodDefinition(
        "person.get", "One person (yourself, or anyone for admins, office and finance staff)", audience: .member, mutating: false,
        params: [.init("person_id", .id(.person), required: true)], result: PersonFacts.schema, errors: [DocErrors.notFound],
        body: .read(ReadPlan(
            statements: { scope, p in [PeopleStore.byId(communityId: scope.communityId, id: try p.string("person_id"))] },
            respond: { ctx, rows, p in
                let id = try p.string("person_id")
                try ctx.actor.requireSelfOr(id, .admin, .office, .finance, to: "see this person")
                guard let row = rows[0].first else { throw AppError.notFound("person", id) }
                return try PeopleStore.person(row).json
            })))

    static let list = MethodDefinition(
        "person.list", "The community's people, optionally those with one role, in creation order",
        audience: .roles([.admin, .office, .finance]), mutating: false,
        params: [.init("role", .oneOf(Role.allCases.map(\.rawValue)))] + Page.fields, result: Page.resultSchema(PersonFacts.schema),
        body: .read(ReadPlan(
            statements: { scope, p in
                let page = try Page(p, key: [.text])
                return [PeopleStore.list(
                    communityId: scope.communityId, role: p.optionalString("role").flatMap(Role.init(rawValue:)), afterId: page.afterString(0),
                    limit: page.limit + 1)]
            },
            respond: { _, rows, p in try Page(p, key: [.text]).result(try rows[0].map { try PeopleStore.person($0).json }, keyFields: "id") })))

    static let update = MethodDefinition(
        "person.update",
        "Changes a person: an admin changes anyone's e-mail, names, time zone and roles; a person changes their own names and time zone. "
            + "A role is taken away only when nothing open needs it: expert or user while meetings on that side await an answer or are agreed "
            + "(ended ones not logged yet included) or weekly series on that side are active and not finished (end them first), admin while no "
            + "other admin would be left (4009; for expert and user with the open meetings and series counted). A declined meeting can be given a "
            + "new date, but not once either side has lost their role (4009). A new user or expert role opens that person's wallet or earnings. An expert without the "
            + "role is no longer searched, listed among profiles or booked; their certifications and hours are kept for a return. "
            + "Names and time zone show at once wherever the person appears (notifications claimed after the change give times on the new zone); an expert's "
            + "weekly hours keep the zone they were set in (availability.set_weekly)",
        audience: .member, mutating: true,
        params: [
            .init("person_id", .id(.person), required: true),
            .init("email", .email, "Admins only"), .init("first_name", .givenName), .init("last_name", .givenName),
            .init("time_zone", .text(min: 1, max: 64), "IANA time zone, e.g. Europe/Prague"),
            .init("add_roles", .list(.oneOf(Role.allCases.map(\.rawValue)), min: 1, max: 5), "Admins only"),
            .init("remove_roles", .list(.oneOf(Role.allCases.map(\.rawValue)), min: 1, max: 5), "Admins only"),
        ],
        result: PersonFacts.schema, errors: [DocErrors.notFound, DocErrors.invalidState],
        paramRules: [.somethingToChange(["first_name", "last_name", "time_zone", "email", "add_roles", "remove_roles"], on: "person_id")],
        body: .command(PeopleUseCases.update()))

    static let findByEmail = MethodDefinition(
        "person.find_by_email",
        "The person of your community with this e-mail: id, names and roles (for client tools that take e-mails). Someone who is only a user finds themself, experts (their expert role alone) and the students they book for (their names and id, no roles); anyone else is not found for them",
        audience: .member, mutating: false,
        params: [.init("email", .text(min: 1, max: 200),
                       required: true, "The address as stored, matched without regard to case: an address nobody has is not found (one stored before today's rule for new addresses is found too)")],
        result: .object([.init("id", .id(.person), required: true), .init("first_name", .name, required: true), .init("last_name", .name, required: true),
                         .init("roles", .list(.oneOf(Role.allCases.map(\.rawValue))), required: true)]),
        errors: [DocErrors.notFound],
        body: .read(ReadPlan(
            statements: { scope, p in [PeopleStore.byEmail(communityId: scope.communityId, email: try p.string("email"), reader: scope.actorId)] },
            respond: { ctx, rows, params in
                let email = try params.string("email")
                guard let row = rows[0].first else { throw AppError.notFound("person with e-mail", email) }
                let p = try PeopleStore.person(row)
                // A user needs experts' ids (to book them), their own and their students' (to
                // book for them), not who else is a member nor anyone's other roles: an address
                // is not an oracle for them.
                var roles = p.roles
                if !ctx.actor.hasAny([.expert, .admin, .office, .finance]) && p.id != ctx.actor.id {
                    if p.has(.expert) {
                        roles = [.expert]
                    } else if try row.bool("reader_books_for") {
                        roles = []
                    } else {
                        throw AppError.notFound("person with e-mail", email)
                    }
                }
                return ["id": .string(p.id), "first_name": .string(p.firstName), "last_name": .string(p.lastName),
                        "roles": .array(roles.map(\.rawValue).sorted().map { .string($0) })]
            })))

    static let unsuspend = MethodDefinition(
        "person.unsuspend",
        "Lifts a user's suspension (no-shows) before its end so they can book, or be booked, again (user_unsuspended, with the end it had): the "
            + "person is told, and each customer still linked to them who was told of a suspension of them as their student that is still running "
            + "and came since the last lift. A person with no suspension running is answered unchanged, and no one is told",
        audience: .roles([.admin]), mutating: true,
        params: [.init("person_id", .id(.person), required: true)], result: PersonFacts.schema, errors: [DocErrors.notFound],
        body: .command(PeopleUseCases.unsuspend()))

    static let createLocation = MethodDefinition(
        "location.create", "Adds a place (or a virtual room) where meetings happen", audience: .roles([.admin]), mutating: true,
        params: [.init("name", .givenName, required: true), .init("kind", .oneOf(["in_person", "virtual"]), required: true)],
        result: LocationFacts.schema,
        body: .command(CatalogUseCases.createLocation()))

    static let updateLocation = MethodDefinition(
        "location.update",
        "Renames a location, or retires it (active false: no meeting is booked there or moved to it any more, its hours offer no times and new hours may not name it; meetings there stay and are held, cancelled or declined as before, an agreed one may move to another time there, and a request there is confirmed only with another location_id) or offers it again",
        audience: .roles([.admin]), mutating: true,
        params: [.init("location_id", .id(.location), required: true), .init("name", .givenName), .init("active", .boolean)],
        result: .object(LocationFacts.fields + OpenWork.fields, additional: true), errors: [DocErrors.notFound],
        paramRules: [.somethingToChange(["name", "active"], on: "location_id")], examples: [Examples.locationRetire],
        body: .command(CatalogUseCases.updateLocation()))

    static let listLocations = MethodDefinition(
        "location.list", "The community's locations", audience: .member, mutating: false, params: Page.fields,
        result: Page.resultSchema(LocationFacts.schema),
        body: .read(ReadPlan(
            statements: { scope, p in
                let page = try Page(p, key: [.text])
                return [CatalogStore.listLocations(communityId: scope.communityId, afterId: page.afterString(0), limit: page.limit + 1)]
            },
            respond: { _, rows, p in try Page(p, key: [.text]).result(try rows[0].map { try CatalogStore.location($0).json }, keyFields: "id") })))
}

/// `community.*` and the operator's bootstrap.
enum CommunityAPI {
    static var all: [MethodDefinition] { [get, updateSettings] }

    /// What `community.get` answers, and `community.update_settings` beside what its change stops.
    static let communityFields: [Schema.Field] = [
        .init("id", .id(.community), required: true), .init("name", .name, required: true),
        .init("settings", settingsSchema, required: true, "Every setting with its current value"),
    ]

    static let communitySchema: Schema = .named("Community", .object(communityFields, additional: true))

    /// Every setting `community.update_settings` takes, each always answered with its value.
    static let settingsSchema: Schema = .named("CommunitySettings", .object(
        CommunitySettings.storedFields.map { .init($0.name, $0.schema, required: true, $0.description) }, additional: true))

    static func json(_ id: String, _ name: String, _ settings: CommunitySettings) -> JSON {
        ["id": .string(id), "name": .string(name), "settings": settings.json]
    }

    static let get = MethodDefinition(
        "community.get", "The actor's community with its settings", audience: .member, mutating: false, params: [], result: communitySchema,
        body: .read(ReadPlan(
            statements: { scope, _ in [CommunityStore.byId(communityId: scope.communityId)] },
            respond: { ctx, rows, _ in
                let (name, settings) = try CommunityStore.decode(rows[0], communityId: ctx.communityId)
                return json(ctx.communityId, name, settings)
            })))

    static let updateSettings = MethodDefinition(
        "community.update_settings", "Changes any of the community's settings; the others keep their values",
        audience: .roles([.admin]), mutating: true, params: CommunitySettings.schemaFields,
        result: .object(communityFields + [
            .init("series_off_grid", .list(.id(.series), max: Int(Listed.atMost)), required: true,
                  "Active weekly series whose time this change of time_zone or slot_minutes leaves off the grid: none of their dates is booked again (both sides are told as each date's turn comes) until they are cancelled and booked at a time on the grid; at most 100"),
            .init("series_checked_all", .boolean, required: true, "false when more active series than were checked (1,000) or listed (100) may be off the grid"),
        ], additional: true),
        body: .command(DirectoryUseCases.updateSettings()))
}
