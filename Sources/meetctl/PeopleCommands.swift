import Core

/// Profiles and enrolments: what experts say about themselves, and who is assigned to whom.
extension Commands {
    static let profileRecord: OutputSpec = .record([
        Column(header: "Expert", key: "person_id"), Column(header: "Name", key: "display_name"),
        Column(header: "Languages", key: "languages", format: .compact, optional: true), Column(header: "Photo", key: "photo_url", optional: true),
        Column(header: "Bio", key: "bio", optional: true),
    ])

    static let people: [CommandSpec] = [
        CommandSpec(
            path: ["profile", "show"], section: .experts, summary: "An expert's public profile, as users see it (default: yours)",
            arguments: [ArgumentSpec(name: "PERSON", kind: .person, param: "person_id", help: "Default: yourself", required: false)],
            method: "person.profile", output: profileRecord, run: PeopleCommands.showProfile),
        CommandSpec(
            path: ["profile", "set"], section: .experts, summary: "Write your public profile (admins: --person); options left out keep their value",
            details: "Example: meetctl profile set --name \"Talia K\" --bio-file bio.txt --language en --language cs --photo https://photos.example.org/talia.jpg",
            options: [
                OptionSpec(name: "person", kind: .person, param: "person_id", help: "Whose profile (admins); default: yours"),
                OptionSpec(name: "name", kind: .text(placeholder: "NAME"), param: "display_name", help: "The name users see"),
                OptionSpec(name: "bio", kind: .text(placeholder: "TEXT"), param: "bio", help: "A few lines about you (at most 2000 characters)"),
                OptionSpec(name: "bio-file", kind: .file, param: "bio", help: "The bio from a text file"),
                OptionSpec(name: "photo", kind: .text(placeholder: "URL"), param: "photo_url", help: "An https:// URL of your photo"),
                OptionSpec(name: "no-photo", kind: .flag, help: "Remove the photo"),
                OptionSpec(name: "language", kind: .text(placeholder: "TAG"), param: "languages", help: "A language you meet in (en, cs, pt-BR); repeat for more; replaces the list", repeatable: true),
            ],
            method: "person.set_profile", mutating: true, output: profileRecord, run: PeopleCommands.setProfile),
        CommandSpec(
            path: ["experts"], section: .experts, summary: "The community's experts and their profiles (--service: those who offer it)",
            options: [OptionSpec(name: "service", kind: .id(.service), param: "service_id", help: "Only the experts of this service")],
            method: "person.profiles",
            output: .table(key: "items", [
                Column(header: "EXPERT", key: "person_id"), Column(header: "NAME", key: "display_name"),
                Column(header: "LANGUAGES", key: "languages", format: .compact), Column(header: "PHOTO", key: "photo_url"),
            ], empty: "No experts."),
            allPages: true),
        CommandSpec(
            path: ["enrollments"], section: .admin, summary: "Enrolments of a user, a service or an expert (admins: all without options)",
            options: [
                OptionSpec(name: "user", kind: .person, param: "user_id", help: "This user's enrolments"),
                OptionSpec(name: "service", kind: .id(.service), param: "service_id", help: "The users assigned to this service"),
                OptionSpec(name: "expert", kind: .person, param: "expert_id", help: "The users assigned to this expert"),
            ],
            method: "enrollment.list",
            output: .table(key: "items", [
                Column(header: "USER", key: "user_id"), Column(header: "NAME", key: "user_name"), Column(header: "SERVICE", key: "service_name"),
                Column(header: "EXPERT", key: "expert_name"), Column(header: "SINCE", key: "created_at", format: .time),
            ], empty: "No enrolments."),
            allPages: true),
    ]
}

enum PeopleCommands {
    @Sendable static func showProfile(_ invocation: Invocation, _ session: Session) throws {
        var params = try session.mappedParams()
        if params["person_id"] == nil { params["person_id"] = .string(try session.actorId()) }
        try CommandRunner.show(try session.call("person.profile", params), session)
    }

    @Sendable static func setProfile(_ invocation: Invocation, _ session: Session) throws {
        var params = try session.mappedParams()
        if invocation.has("bio") && invocation.has("bio-file") { throw UsageError(message: "give --bio or --bio-file, not both") }
        if invocation.has("no-photo") {
            guard !invocation.has("photo") else { throw UsageError(message: "give --photo or --no-photo, not both") }
            params["photo_url"] = .null
        }
        if params["person_id"] == nil { params["person_id"] = .string(try session.actorId()) }
        try CommandRunner.show(try session.call("person.set_profile", params), session)
    }
}
