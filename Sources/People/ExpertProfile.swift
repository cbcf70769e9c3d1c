import Community
import Core
import Meetings

/// An expert's public profile (seed 000/001: students "view provider profiles" and "see their
/// bio" before picking one). This is all a user of the community reads about an expert: never
/// their e-mail, roles, time zone or suspension.
public struct ExpertProfile: Sendable, Equatable {
    public var expertId: String
    public var displayName: String
    public var bio: String
    /// An https URL of a photo, or nil.
    public var photoURL: String?
    /// BCP 47 language tags (`en`, `cs`, `pt-BR`), in the order the expert gave them.
    public var languages: [String]

    public init(expertId: String, displayName: String, bio: String = "", photoURL: String? = nil, languages: [String] = []) {
        self.expertId = expertId
        self.displayName = displayName
        self.bio = bio
        self.photoURL = photoURL
        self.languages = languages
    }

    /// The profile of an expert who has not written one: their name and nothing else.
    public static func unwritten(_ expert: PersonFacts) -> ExpertProfile {
        ExpertProfile(expertId: expert.id, displayName: expert.fullName)
    }

    /// What anyone in the community may read, and what a booking picker shows.
    public var publicJSON: JSON {
        [
            "person_id": .string(expertId), "display_name": .string(displayName), "bio": .string(bio), "photo_url": .optional(photoURL),
            "languages": .array(languages.map { .string($0) }),
        ]
    }
}

/// A change to a profile: the fields given, each either a new value or (for the optional ones)
/// nil to clear it. Fields not given keep their value.
public struct ProfileChange: Sendable, Equatable {
    public var displayName: String?
    public var bio: String?
    public var photoURL: String??
    public var languages: [String]?

    public init(displayName: String? = nil, bio: String? = nil, photoURL: String?? = nil, languages: [String]? = nil) {
        self.displayName = displayName
        self.bio = bio
        self.photoURL = photoURL
        self.languages = languages
    }
}

/// The rules of a profile: who may write it and what each field may hold. Every string is a
/// person's and hostile: control characters and bidirectional overrides, which would let a
/// name rewrite a line on someone's screen, are refused, and so are photo URLs that are not
/// plain https.
public enum ProfileRules {
    public static let maxDisplayNameCharacters = 200
    public static let maxBioCharacters = 2000
    public static let maxPhotoURLCharacters = 500
    public static let maxLanguages = 20

    /// Only the expert themself or an admin writes a profile, and only an expert has one.
    public static func mayWrite(actorId: String, actorRoles: Set<Role>, subject: PersonFacts) throws {
        guard actorId == subject.id || actorRoles.contains(.admin) else {
            throw AppError.forbidden("only the expert themself or an admin may change a profile")
        }
        guard subject.has(.expert) else {
            throw AppError.invalidParams(field: "person_id", reason: "must be a person with the expert role (only experts have public profiles)")
        }
    }

    /// The profile anyone in the community may read: an expert's. Of anyone else there is none
    /// (whether they exist at all is no one else's business).
    public static func readable(_ person: PersonFacts, _ profile: ExpertProfile) throws -> ExpertProfile {
        guard person.has(.expert) else { throw AppError.notFound("expert profile", person.id) }
        return profile
    }

    /// The profile after `change`, every given field checked.
    public static func apply(_ change: ProfileChange, to profile: ExpertProfile) throws -> ExpertProfile {
        var out = profile
        if let name = change.displayName { out.displayName = try displayName(name) }
        if let bio = change.bio { out.bio = try self.bio(bio) }
        if let url = change.photoURL { out.photoURL = try url.map(photoURL) }
        if let languages = change.languages { out.languages = try self.languages(languages) }
        return out
    }

    public static func displayName(_ text: String) throws -> String {
        let name = try NameRule.stored(text, field: "display_name")
        guard name.unicodeScalars.count <= maxDisplayNameCharacters else {
            throw AppError.invalidParams(field: "display_name", reason: "must have at most \(maxDisplayNameCharacters) characters")
        }
        if let bad = name.unicodeScalars.first(where: \.breaksALine) {
            throw AppError.invalidParams(field: "display_name", reason: "must be one line without control characters or reordering marks (found \(bad.codePoint))")
        }
        return name
    }

    /// Line breaks and tabs are kept (a bio has paragraphs), a Windows line break (CR LF) as LF;
    /// other controls are refused, a CR alone too (it rewrites a terminal's line).
    public static func bio(_ raw: String) throws -> String {
        let text = raw.replacingOccurrences(of: "\r\n", with: "\n")
        guard text.count <= maxBioCharacters else {
            throw AppError.invalidParams(field: "bio", reason: "must have at most \(maxBioCharacters) characters")
        }
        // The line and paragraph separators (U+2028, U+2029) break a line where LF does not, as
        // the refusal says: only LF and CR LF.
        if let bad = text.unicodeScalars.first(where: { ($0 != "\n" && $0 != "\t" && ($0.isControlCharacter || $0.isLineBreak)) || $0.isBidiControl }) {
            throw AppError.invalidParams(field: "bio", reason: "must not contain control characters, other line breaks or reordering marks (found \(bad.codePoint)); line breaks are LF or CR LF, and tabs are kept")
        }
        return text
    }

    /// An https address of a photo (`WebAddress`).
    public static func photoURL(_ text: String) throws -> String {
        try WebAddress.https(text, field: "photo_url", maxCharacters: maxPhotoURLCharacters, example: photoURLExample)
    }

    /// What a photo's address looks like, told to a caller who sent another.
    public static let photoURLExample = "https://photos.example.org/talia.jpg"

    /// BCP 47 tags, written in their usual case (`pt-BR`, `zh-Hant`), each once.
    public static func languages(_ tags: [String]) throws -> [String] {
        guard tags.count <= maxLanguages else {
            throw AppError.invalidParams(field: "languages", reason: "must have at most \(maxLanguages) items")
        }
        var out: [String] = []
        for (i, tag) in tags.enumerated() {
            guard let normalized = languageTag(tag) else {
                throw AppError.invalidParams(field: "languages[\(i)]", reason: "must be a language tag such as en, cs or pt-BR")
            }
            if !out.contains(normalized) { out.append(normalized) }
        }
        return out
    }

    /// A language (2–3 letters) with optional script (4 letters) and region (2 letters or 3
    /// digits) subtags, or nil.
    /// A BCP 47 (RFC 5646) tag in its usual case: language, then an optional script and region,
    /// variants (`de-CH-1901`), extensions (`en-u-ca-gregory`) and private use (`en-US-x-twain`,
    /// or a private tag alone, `x-private`); nil when it is not one. Grandfathered irregular tags
    /// (`i-klingon`) are not taken.
    static func languageTag(_ tag: String) -> String? {
        let parts = tag.split(separator: "-", omittingEmptySubsequences: false).map(String.init)
        func alphanumeric(_ p: String) -> Bool { !p.isEmpty && p.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0)) } }
        guard parts.allSatisfy(alphanumeric) else { return nil }
        var rest = parts[...]
        var out: [String] = []
        // Private use: `x` and 1-8 characters each, to the end.
        func privateUse() -> Bool {
            guard rest.first?.lowercased() == "x", rest.count > 1, rest.dropFirst().allSatisfy({ (1...8).contains($0.count) }) else { return false }
            out += rest.map { $0.lowercased() }
            rest = []
            return true
        }
        if privateUse() { return out.joined(separator: "-") }
        guard let language = rest.popFirst(), (2...3).contains(language.count), language.allSatisfy(\.isLetter) else { return nil }
        out.append(language.lowercased())
        if let script = rest.first, script.count == 4, script.allSatisfy(\.isLetter) {
            out.append(script.prefix(1).uppercased() + script.dropFirst().lowercased())
            rest = rest.dropFirst()
        }
        if let region = rest.first, (region.count == 2 && region.allSatisfy(\.isLetter)) || (region.count == 3 && region.allSatisfy(\.isNumber)) {
            out.append(region.uppercased())
            rest = rest.dropFirst()
        }
        // Variants: 5-8 characters, or a digit and 3 more.
        while let variant = rest.first, (5...8).contains(variant.count) || (variant.count == 4 && variant.first!.isNumber) {
            out.append(variant.lowercased())
            rest = rest.dropFirst()
        }
        // Extensions: a singleton other than x, then subtags of 2-8 characters.
        while let singleton = rest.first, singleton.count == 1, singleton.lowercased() != "x" {
            rest = rest.dropFirst()
            var subtags: [String] = []
            while let subtag = rest.first, (2...8).contains(subtag.count) {
                subtags.append(subtag.lowercased())
                rest = rest.dropFirst()
            }
            guard !subtags.isEmpty else { return nil }
            out += [singleton.lowercased()] + subtags
        }
        if !rest.isEmpty && !privateUse() { return nil }
        return out.joined(separator: "-")
    }
}
