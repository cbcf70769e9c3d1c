import Core
import Meetings
import People
import Pipeline
import RPC
import Store
import UseCases

/// `person.profile`, `person.profiles`, `person.set_profile`: experts' public profiles (seed
/// 000/001, students "view provider profiles" and "see their bio"). Every member may read them;
/// they hold nothing private (no e-mail, roles or time zone).
enum ProfileAPI {
    static var all: [MethodDefinition] { [get, list, set] }

    static let profileSchema: Schema = .named("ExpertProfile", .object([
        .init("person_id", .id(.person), required: true), .init("display_name", .line(min: 1, max: 2 * Limits.standard.maxNameLength + 1), required: true,
              "The name the expert chose, or their first and last name until they choose one"),
        .init("bio", .text(max: ProfileRules.maxBioCharacters), required: true),
        .init("photo_url", .nullable(.text(max: ProfileRules.maxPhotoURLCharacters)), required: true),
        .init("languages", .list(.text(min: 2, max: 20), max: ProfileRules.maxLanguages), required: true),
    ]))

    static let get = MethodDefinition(
        "person.profile", "An expert's public profile: display name, bio, photo URL and languages (anyone in the community)",
        audience: .member, mutating: false, params: [.init("person_id", .id(.person), required: true)], result: profileSchema,
        errors: [DocErrors.notFound],
        body: .read(ReadPlan(
            statements: { scope, p in [ProfileStore.byId(communityId: scope.communityId, id: try p.string("person_id"))] },
            respond: { _, rows, p in
                guard let row = rows[0].first else { throw AppError.notFound("expert profile", try p.string("person_id")) }
                let (person, profile) = try ProfileStore.decode(row)
                return try ProfileRules.readable(person, profile).publicJSON
            })))

    static let list = MethodDefinition(
        "person.profiles", "The public profiles of the community's experts (with service_id, those who offer it), for choosing one",
        audience: .member, mutating: false, params: [.init("service_id", .id(.service))] + Page.fields,
        result: Page.resultSchema(profileSchema), errors: [DocErrors.notFound],
        body: .read(ReadPlan(
            statements: { scope, p in
                let page = try Page(p, key: [.text])
                return [ProfileStore.experts(
                    communityId: scope.communityId, serviceId: p.optionalString("service_id"), afterId: page.afterString(0), limit: page.limit + 1)]
                    + Existence.check(communityId: scope.communityId, services: [p.optionalString("service_id")])
            },
            respond: { _, rows, p in
                try Existence.require(rows, at: 1)
                return try Page(p, key: [.text]).result(try rows[0].map { try ProfileStore.decode($0).profile.publicJSON }, keyFields: "person_id")
            })))

    static let set = MethodDefinition(
        "person.set_profile", "Writes an expert's public profile (the expert themself or an admin); fields left out keep their value",
        audience: .member, mutating: true,
        params: [
            .init("person_id", .id(.person), required: true), .init("display_name", .line(min: 1, max: ProfileRules.maxDisplayNameCharacters)),
            .init("bio", .text(max: ProfileRules.maxBioCharacters), "Plain text: line feeds and tabs are kept, a CR LF is stored as LF; other control characters, a CR alone, the line and paragraph separators (U+2028, U+2029) and reordering marks are refused"),
            .init("photo_url", .nullable(.https(min: 1, max: ProfileRules.maxPhotoURLCharacters, example: ProfileRules.photoURLExample)), "https only; null removes it"),
            .init("languages", .list(.text(min: 1, max: 20), max: ProfileRules.maxLanguages), "BCP 47 tags: en, cs, pt-BR"),
        ],
        result: profileSchema, errors: [DocErrors.notFound],
        body: .command(DirectoryUseCases.setProfile()))
}
