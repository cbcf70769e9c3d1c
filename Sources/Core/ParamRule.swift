/// A rule over several params that no one param's schema can say (which of them go together):
/// checked with the schema before a handler runs, and published in the method's description
/// in the words `text` gives, so a client reads the rule the server checks.
public enum ParamRule: Sendable, Equatable {
    /// One of the two, never both (`service_id` or `expert_id`).
    case exactlyOne(String, String)
    /// Every param of one of the groups at least (`period_id`, or `start` and `end`); the
    /// refusal names the first group's first param.
    case anyGroup([[String]])
    /// Every param of one of the groups, and nothing of the others (`period_id`, or `start` and
    /// `end`, not both ways at once): a call naming its target two ways is refused rather than
    /// read one way.
    case oneGroup([[String]])
    /// Something to change: one of the params at least; the refusal names `on` (the record changed).
    case somethingToChange([String], on: String)

    /// The rule as a sentence for the method's description.
    public var text: String {
        switch self {
        case .exactlyOne(let a, let b): return "Give exactly one of \(a) and \(b)"
        case .anyGroup(let groups): return "Give " + ParamRule.either(groups.map { $0.joined(separator: " and ") }, ", or ")
        case .oneGroup(let groups): return ParamRule.anyGroup(groups).text + ", not both"
        case .somethingToChange(let names, _): return "Give at least one of " + ParamRule.either(names, " or ")
        }
    }

    /// `params` (as sent: a null is a param not given) against the rule: a -32602 naming a param
    /// and saying what to give.
    public func check(_ params: [String: JSON]) throws {
        func given(_ name: String) -> Bool { params[name].map { !$0.isNull } ?? false }
        switch self {
        case .exactlyOne(let a, let b):
            guard given(a) != given(b) else {
                throw AppError.invalidParams(
                    field: a, reason: given(a) ? "must not be given with \(b): give exactly one of the two" : "is needed when \(b) is not given: give exactly one of the two")
            }
        case .anyGroup(let groups):
            guard !groups.contains(where: { $0.allSatisfy(given) }), let first = groups.first?.first else { return }
            // A group begun and not finished: its first missing param is what is missing.
            if let begun = groups.first(where: { $0.contains(where: given) }), let missing = begun.first(where: { !given($0) }) {
                let others = groups.filter { $0 != begun }.map { $0.joined(separator: " and ") }
                throw AppError.invalidParams(
                    field: missing,
                    reason: "is required with " + ParamRule.either(begun.filter(given), " and ") + (others.isEmpty ? "" : " (or give \(ParamRule.either(others, ", or ")) instead)"))
            }
            let others = groups.dropFirst().map { $0.joined(separator: " and ") }
            throw AppError.invalidParams(field: first, reason: "is required" + (others.isEmpty ? "" : " (or give \(ParamRule.either(others, ", or ")))"))
        case .oneGroup(let groups):
            let named = groups.filter { $0.contains(where: given) }
            if named.count > 1, let first = named[0].first(where: given), let second = named[1].first(where: given) {
                throw AppError.invalidParams(
                    field: second, reason: "must not be given with \(first): give " + ParamRule.either(groups.map { $0.joined(separator: " and ") }, ", or "))
            }
            try ParamRule.anyGroup(groups).check(params)
        case .somethingToChange(let names, let on):
            guard !names.contains(where: given) else { return }
            throw AppError.invalidParams(field: on, reason: "has nothing to change: give " + ParamRule.either(names, " or "))
        }
    }

    /// "a, b or c": the last joined by `last`.
    static func either(_ items: [String], _ last: String) -> String {
        guard items.count > 1 else { return items.first ?? "" }
        return items.dropLast().joined(separator: ", ") + last + items[items.count - 1]
    }
}
