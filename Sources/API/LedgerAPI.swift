import Community
import Core
import Ledger
import Meetings
import Pipeline
import Postgres
import RPC
import Store

/// `credits.*`, `payout.*` and `ledger.*`: movements decided here and applied in one statement,
/// and the ledger's reads.
enum LedgerAPI {
    static var all: [MethodDefinition] { [grant, adjust, payout, balance, accounts, statement, trialBalance, reconcile, meetingTrail] }

    static let transferSchema: Schema = .named("Transfer", .object([
        .init("id", .id(.transfer), required: true), .init("seq", .integer(min: 1, max: .max), required: true, LedgerAPI.seqDescription),
        .init("kind", .text(), required: true), .init("credits", .positiveCredits, required: true),
        .init("debit_account_id", .id(.account), required: true), .init("credit_account_id", .id(.account), required: true),
        .init("created_at", .timestamp, required: true),
        .init("phase", transferPhase, "Posted at once, pending (a hold), or the post or void resolving a pending one"),
        .init("pending_id", .nullable(.id(.transfer)), "The pending transfer a post or void resolves"),
        .init("debit_account_kind", .oneOf(AccountKind.allCases.map(\.rawValue)), "In ledger.meeting_trail: what the debited account is"),
        .init("debit_account_owner_id", .nullable(.id(.person)), "In ledger.meeting_trail: whose it is (null for the community's own)"),
        .init("debit_account_owner_name", .nullable(.text()), "In ledger.meeting_trail: the owner's first and last name"),
        .init("credit_account_kind", .oneOf(AccountKind.allCases.map(\.rawValue)), "In ledger.meeting_trail: what the credited account is"),
        .init("credit_account_owner_id", .nullable(.id(.person)), "In ledger.meeting_trail: whose it is (null for the community's own)"),
        .init("credit_account_owner_name", .nullable(.text()), "In ledger.meeting_trail: the owner's first and last name"),
    ], additional: true))

    /// What a transfer's number promises, and what it does not.
    static let seqDescription = "The transfer's number in its community, increasing in the order transfers were made; a transfer numbered in a transaction that did not commit (a payout with a reference used before, a step run again after a conflict) leaves its number unused, so a gap is not a missing entry"
    static let anyCredits: Schema = .integer(min: .min, max: .max)
    /// A sum of amounts over an account or a period: each amount is at most 10^12, their sum is not.
    static let totalCredits: Schema = .integer(min: 0, max: .max)
    static let transferPhase: Schema = .oneOf(["posted", "pending", "post_pending", "void_pending"])

    /// An account's four stored sums and what follows from them (`Balance.json`).
    static let balanceFields: [Schema.Field] = [
        .init("posted", anyCredits, required: true), .init("blocked", LedgerAPI.totalCredits, required: true, "Held for meetings (pending debits)"),
        .init("available", anyCredits, required: true), .init("incoming", LedgerAPI.totalCredits, required: true, "Pending credits on their way in (an expert's earnings: the full prices held for meetings not settled yet; the platform's fee comes off each as it is captured)"),
        .init("debits_posted", LedgerAPI.totalCredits, required: true), .init("credits_posted", LedgerAPI.totalCredits, required: true),
        .init("debits_pending", LedgerAPI.totalCredits, required: true), .init("credits_pending", LedgerAPI.totalCredits, required: true),
    ]

    static let accountBalanceSchema: Schema = .named("AccountBalance", .object([
        .init("account_id", .id(.account), required: true),
        .init("kind", .oneOf(AccountKind.allCases.map(\.rawValue)), required: true), .init("owner_id", .nullable(.id(.person)), required: true),
        .init("as_of", .timestamp, required: true),
    ] + balanceFields, additional: true))

    /// What `as_of` says of the figures, in every method that takes it.
    static let asOfDescription = "The figures just before this time: every transfer made before it, none made at it (those begin the period that starts then, as a month's or a statement's). A time not before now is answered as of now, with every transfer so far; now is the later of the clock and the community's latest transfer (after a clock set back, transfers are timed at the latest one's time, so an as_of at the set-back clock's time leaves them out). A past time is read once the transfers being written then have committed, so its figures never change once answered"

    /// The time balances are given as of: `as_of`, or now when it asks for a later time (what is
    /// known is the ledger up to now, and the answer says so rather than label today's figures
    /// with a future date). Now is the later of the clock and the community's latest transfer
    /// (`rows`' `latest_transfer_at`): after a clock set back, a transfer is stamped after the one
    /// before it, and a balance that counts it is not labelled with a time before it. The reads
    /// take the figures just before `as_of` by the same rule (`LedgerQueries.cut`): as of now they
    /// are the figures now, every transfer so far counted.
    /// `ReadPlan.settle` of a read whose figures are cut at the time in param `key` (`as_of`, a
    /// statement's `to`): when one is given, the read waits for the transfers timed before it.
    static func settling(_ key: String) -> @Sendable (RequestScope, Params) throws -> Statement? {
        { scope, params in try params.optionalInstant(key) == nil ? nil : LedgerQueries.settle(communityId: scope.communityId) }
    }

    static func asOfAnswered(_ p: Params, _ ctx: RequestContext, _ rows: Rows) throws -> Instant {
        let now = try ledgerNow(ctx, rows)
        return try p.optionalInstant("as_of").map { min($0, now) } ?? now
    }

    /// The later of the clock and the community's latest transfer (`latest_transfer_at`).
    static func ledgerNow(_ ctx: RequestContext, _ rows: Rows) throws -> Instant {
        let latest = try rows.first.flatMap { try $0.optionalInstant("latest_transfer_at") }
        return latest.map { max($0, ctx.now) } ?? ctx.now
    }

    /// A posted transfer: the answer names it, the ledger completes it (sequence, time, accounts).
    static func movement(
        _ ctx: RequestContext, debit: LedgerQueries.Side, credit: LedgerQueries.Side, credits: Int64, kind: String, reference: String? = nil,
        reason: String? = nil
    ) -> Outcome {
        let id = Identifier.make(.transfer)
        return Outcome(
            response: ["id": .string(id), "kind": .string(kind), "credits": .int(credits)],
            apply: LedgerQueries.transfer(
                communityId: ctx.communityId, id: id, debit: debit, credit: credit, credits: credits, kind: kind, reference: reference,
                reason: reason, actorId: ctx.actor.id, at: ctx.ledgerTime),
            applyCompletesResponse: true)
    }

    /// The ledger's refusals, naming the param that pointed at a missing account.
    /// `holder`: who has such an account, with its article ("a user", "an expert"), named when a
    /// person has none; `instead`: what the reader may do then.
    static func translate(accountOf param: String, _ what: String, holder: String? = nil, instead: String = "") -> @Sendable (PostgresError, Params) -> Error? {
        { error, params in
            if error.sqlState == "ML004" {
                let id = params.optionalString(param) ?? ""
                guard let holder else { return AppError.notFound(what, id) }
                return AppError.notFound(what, id, saying: "no \(what) of \(id) in this community: no such person here, or they are not \(holder)\(instead)")
            }
            return LedgerError.translate(error, required: params.optionalInt("credits").map(abs) ?? 0)
        }
    }

    /// A command with no read of its own: the actor's row is its whole context.
    static func move(translate: @escaping @Sendable (PostgresError, Params) -> Error?, _ decide: @escaping @Sendable (RequestContext, Params) throws -> Outcome) -> CommandPlan {
        CommandPlan(
            locks: { scope, _ in scope.keyLock },
            context: { _, _ in nil },
            decide: { ctx, _, params in try decide(ctx, params) },
            translate: translate, decidesFromActorAlone: true)
    }

    // MARK: Movements

    /// The movement's external reference as recorded and compared (`MovementText.reference`).
    static func reference(_ params: Params) throws -> String { try MovementText.reference(try params.string("reference")) }

    /// A grant, adjustment or payout never moves credits of the actor's own account: another
    /// finance person (or an admin, for a grant) does it, so no one mints credits for themself
    /// and pays them out alone. The ledger refuses it too (ML005).
    static func requireNotOwn(_ ctx: RequestContext, owner: String?, _ refusal: String) throws {
        guard owner == nil || owner != ctx.actor.id else { throw AppError.forbidden(refusal) }
    }

    static let referenceRule = "one line of visible characters; whitespace around it is not part of it, and it is stored and compared in Unicode NFKC form (a no-break space is a space, a fullwidth digit a digit: statements show it so)"

    static let grant = MethodDefinition(
        "credits.grant",
        "Adds purchased credits to a user's wallet; each external reference is granted once. The person holds the user role now: one who lost it "
            + "keeps their wallet, which credits.adjust corrects, but is granted no more (4004)",
        audience: .roles([.finance, .admin]), mutating: true,
        params: [
            .init("user_id", .id(.person), required: true), .init("credits", .positiveCredits, required: true),
            .init("reference", .line(min: 1, max: 200), required: true, "The purchase's external reference (order id): \(referenceRule)"),
        ],
        result: transferSchema, errors: [DocErrors.notFound], examples: [Examples.creditsGrant],
        body: .command(move(translate: translate(
            accountOf: "user_id", "user wallet", holder: "a user",
            instead: " (credits are granted to users; a wallet kept by someone who lost the role is corrected with credits.adjust)")) { ctx, params in
            try requireNotOwn(ctx, owner: try params.string("user_id"), "no one grants credits to their own wallet; another finance person or an admin does it")
            return movement(
                // Credits are bought for a user: the apply finds no wallet of a person who lost
                // the role (ml_apply_transfer), which stays for adjustments.
                ctx, debit: .owned(.issuance, owner: nil), credit: .owned(.userWallet, owner: try params.string("user_id")),
                credits: try params.int("credits"), kind: "grant", reference: try reference(params))
        }))

    static let adjust = MethodDefinition(
        "credits.adjust", "Corrects an account by a signed amount against issuance, with a reason; never overdraws",
        audience: .roles([.finance]), mutating: true,
        params: [
            .init("account_id", .id(.account), required: true),
            .init("credits", .excluding(0, .integer(min: -Limits.standard.maxCredits, max: Limits.standard.maxCredits)), required: true, "Positive adds, negative removes; never 0"),
            .init("reason", .line(min: 1, max: 2000), required: true, "Why the account is corrected: one line, not blank"),
        ],
        result: transferSchema, errors: [DocErrors.notFound, DocErrors.insufficientCredits],
        body: .command(CommandPlan(
            locks: { scope, _ in scope.keyLock },
            context: { scope, params in LedgerQueries.account(communityId: scope.communityId, accountId: try params.string("account_id")) },
            decide: { ctx, context, params in
                let accountId = try params.string("account_id")
                let credits = try params.int("credits")
                guard let kind = context?["kind"]?.stringValue else { throw AppError.notFound("account", accountId) }
                guard kind != AccountKind.issuance.rawValue else {
                    throw AppError.invalidParams(field: "account_id", reason: "is the issuance account, the counterpart of every adjustment")
                }
                try requireNotOwn(ctx, owner: context?["owner_id"]?.stringValue, "no one adjusts their own account; another finance person does it")
                let reason = try MovementText.reason(try params.string("reason"))
                let account = LedgerQueries.Side.account(accountId), issuance = LedgerQueries.Side.owned(.issuance, owner: nil)
                return movement(
                    ctx, debit: credits > 0 ? issuance : account, credit: credits > 0 ? account : issuance, credits: abs(credits), kind: "adjustment",
                    reason: reason)
            },
            translate: translate(accountOf: "account_id", "account"))))

    static let payout = MethodDefinition(
        "payout.create", "Pays an expert's available earnings out; cannot exceed what is available; each payout reference is recorded once",
        audience: .roles([.finance]), mutating: true,
        params: [
            .init("expert_id", .id(.person), required: true), .init("credits", .positiveCredits, required: true),
            .init("reference", .line(min: 1, max: 200), required: true, "The payout's external reference (bank transfer id): \(referenceRule)"),
        ],
        result: transferSchema, errors: [DocErrors.notFound, DocErrors.insufficientCredits],
        body: .command(move(translate: translate(accountOf: "expert_id", "expert earnings account", holder: "an expert")) { ctx, params in
            try requireNotOwn(ctx, owner: try params.string("expert_id"), "no one pays out their own earnings; another finance person does it")
            return movement(
                ctx, debit: .owned(.expertEarnings, owner: try params.string("expert_id")), credit: .owned(.payouts, owner: nil),
                credits: try params.int("credits"), kind: "payout", reference: try reference(params))
        }))

    // MARK: Reading

    /// Only the account's owner and finance staff may read it.
    static func requireReadable(_ ctx: RequestContext, _ accounts: [LedgerQueries.AccountBalance]) throws {
        for a in accounts where !(ctx.actor.has(.finance) || (a.ownerId != nil && a.ownerId == ctx.actor.id)) {
            throw AppError.forbidden("only the account's owner and finance staff may read it")
        }
    }

    /// The account named by `account_id`, or the accounts of `person_id`.
    static func readAccounts(_ ctx: RequestContext, _ rows: Rows, _ params: Params) throws -> [LedgerQueries.AccountBalance] {
        let (accounts, personFound) = try LedgerQueries.decodeBalances(rows)
        if let accountId = params.optionalString("account_id") {
            guard !accounts.isEmpty else { throw AppError.notFound("account", accountId) }
        } else if let personId = params.optionalString("person_id") {
            guard personFound else { throw AppError.notFound("person", personId) }
            guard personId == ctx.actor.id || ctx.actor.has(.finance) else {
                throw AppError.forbidden("only the person themself and finance staff may read their accounts")
            }
        }
        try requireReadable(ctx, accounts)
        return accounts
    }

    static func accountParams(_ p: Params) throws -> (String?, String?) {
        let account = p.optionalString("account_id"), person = p.optionalString("person_id")
        guard account != nil || person != nil else { throw AppError.invalidParams(field: "account_id", reason: "is required (or give person_id)") }
        // Both given would answer one and leave the other unread, as if it were checked.
        guard account == nil || person == nil else {
            throw AppError.invalidParams(field: "person_id", reason: "goes without account_id: give one account, or a person for all their accounts")
        }
        return (account, person)
    }

    static let balance = MethodDefinition(
        "ledger.balance", "Posted, blocked and available credits of an account (or a person's accounts), now or as of a past time",
        audience: .member, mutating: false,
        params: [
            .init("account_id", .id(.account), "One account (or person_id, not both)"), .init("person_id", .id(.person), "All of a person's accounts (or account_id, not both)"),
            .init("as_of", .timestamp, asOfDescription), FinanceFormat.param,
        ],
        result: .object([
            .init("account_id", .nullable(.id(.account)), required: true, "The first account's (a person's wallet before their earnings); null when there is none"),
            .init("posted", anyCredits, required: true, firstAccountsFigure), .init("blocked", LedgerAPI.totalCredits, required: true, firstAccountsFigure),
            .init("available", anyCredits, required: true, firstAccountsFigure),
        ] + FinanceFormat.listFields("accounts", accountBalanceSchema, "Every account asked for (a person may have a wallet and earnings)")
            + accountBalanceFieldsBeyondTheTotals, additional: true),
        errors: [DocErrors.notFound], examples: [Examples.balance],
        body: .read(ReadPlan(
            settle: settling("as_of"),
            statements: { scope, p in
                let (account, person) = try accountParams(p)
                return [LedgerQueries.balances(
                    communityId: scope.communityId, accountId: account, personId: person, asOf: try p.optionalInstant("as_of"), testClock: scope.testClock)]
            },
            respond: { ctx, rows, p in
                let asOf = try asOfAnswered(p, ctx, rows[0])
                let list: [JSON] = try readAccounts(ctx, rows[0], p).map { a in
                    var o = a.balance.json.objectValue!
                    o["account_id"] = .string(a.id)
                    o["kind"] = .string(a.kind)
                    o["owner_id"] = .optional(a.ownerId)
                    o["as_of"] = .string(asOf.rfc3339)
                    return .object(o)
                }
                guard var first = list.first?.objectValue else {
                    return FinanceFormat.respond(
                        ["account_id": .null, "posted": 0, "blocked": 0, "available": 0, "accounts": []], key: "accounts", FinanceTables.balance, p)
                }
                first["accounts"] = .array(list)
                return FinanceFormat.respond(first, key: "accounts", FinanceTables.balance, p)
            })))

    /// The first account's other members, which `ledger.balance` answers alongside its totals.
    static let accountBalanceFieldsBeyondTheTotals: [Schema.Field] = [
        .init("kind", .oneOf(AccountKind.allCases.map(\.rawValue))), .init("owner_id", .nullable(.id(.person))), .init("as_of", .timestamp),
    ] + balanceFields.filter { !["posted", "blocked", "available"].contains($0.name) }.map { .init($0.name, $0.schema, $0.description) }

    static let statementEntrySchema: Schema = .named("StatementEntry", .object([
        .init("seq", .integer(min: 1, max: .max), required: true, LedgerAPI.seqDescription), .init("transfer_id", .id(.transfer), required: true),
        .init("kind", .text(), required: true), .init("phase", transferPhase, required: true),
        .init("side", .oneOf(["debit", "credit"]), required: true),
        .init("credits", anyCredits, required: true,
              "The amount signed by side (negative on the debit side), whatever the phase: a release on a wallet reads negative though it returns credits; posted_change, blocked_change, available_change and incoming_change say what the entry changed"),
        .init("amount", .positiveCredits, required: true, "The transfer's credits"),
        .init("posted_change", anyCredits, required: true), .init("blocked_change", anyCredits, required: true),
        .init("available_change", anyCredits, required: true, "What the entry changed of each balance: each column sums to the statement's change"),
        .init("incoming_change", anyCredits, required: true, "What the entry changed of the credits on their way in (a hold to the account, until it is captured or released)"),
        .init("posted_balance", anyCredits, required: true), .init("blocked", LedgerAPI.totalCredits, required: true), .init("available", anyCredits, required: true),
        .init("incoming", LedgerAPI.totalCredits, required: true, "Pending credits on their way in after the entry (an expert's earnings: the full prices held for meetings not settled yet, before the platform's fee)"),
        .init("meeting_id", .nullable(.id(.meeting)), required: true), .init("pending_id", .nullable(.id(.transfer)), required: true, "The hold a post or void resolves"),
        .init("reference", .nullable(.text()), required: true), .init("reason", .nullable(.text()), required: true),
        .init("created_at", .timestamp, required: true),
    ], additional: true))

    /// A statement's opening or closing balance (`boundJSON`).
    static let boundSchema: Schema = .named("StatementBound", .object([
        .init("posted", anyCredits, required: true), .init("blocked", LedgerAPI.totalCredits, required: true),
        .init("available", anyCredits, required: true), .init("incoming", LedgerAPI.totalCredits, required: true, "Pending credits on their way in (an expert's earnings: the full prices held for meetings not settled yet; the platform's fee comes off each as it is captured)"),
        .init("as_of", .nullable(.timestamp), required: true, "The bound it is taken at"),
    ]))

    /// What a statement's entries changed (`BalanceChange.json`): each column's sum.
    static let changeSchema: Schema = .named("BalanceChange", .object([
        .init("posted", anyCredits, required: true), .init("blocked", anyCredits, required: true), .init("available", anyCredits, required: true),
        .init("incoming", anyCredits, required: true),
    ]))

    /// A statement's opening or closing balance as answered: the balance and the bound it is taken at.
    static func boundJSON(_ b: Balance, at: Instant?) -> JSON {
        ["posted": .int(b.posted), "blocked": .int(b.blocked), "available": .int(b.available), "incoming": .int(b.incoming), "as_of": .optional(at?.rfc3339)]
    }

    static let statement = MethodDefinition(
        "ledger.statement",
        "An account's entries, oldest first, each with what it changed and the balances after it; the opening balance (just before `from`) and the closing one (just before `to`, or now); format csv for spreadsheets",
        audience: .member, mutating: false,
        params: [
            .init("account_id", .id(.account), required: true), .init("from", .timestamp, "Entries at or after this time (without to, not after now)"),
            .init("to", .timestamp, "Entries before this time"), FinanceFormat.param,
        ] + Page.fields,
        result: .object([
            .init("account_id", .id(.account), required: true),
        ] + FinanceFormat.listFields("items", statementEntrySchema, "The entries") + [
            .init("next_cursor", .nullable(.text()), required: true),
            .init("opening", boundSchema, required: true, "The balance just before from (as_of null: the account's start)"),
            .init("closing", boundSchema, required: true,
                  "The balance just before to; without to, or with a to not before now, after every entry so far (as a balance as of now counts them), its as_of now (or the community's latest transfer time, when a clock set back left it after now)"),
            .init("change", changeSchema, required: true, "closing less opening"),
        ], additional: true),
        errors: [DocErrors.notFound],
        body: .read(ReadPlan(
            settle: settling("to"),
            statements: { scope, p in
                let accountId = try p.string("account_id")
                let page = try Page(p, key: [.time, .integer])
                let after = page.after.map { (createdAt: $0[0].stringValue ?? "", seq: $0[1].intValue ?? 0) }
                let (from, to) = try p.optionalWindow()
                return [LedgerQueries.statementPage(
                    communityId: scope.communityId, accountId: accountId, testClock: scope.testClock, after: after, from: from, to: to, limit: page.limit + 1)]
            },
            respond: { ctx, rows, p in
                let account = try readAccounts(ctx, rows[0], p)[0]
                guard let (opening, closing) = try LedgerQueries.decodeBounds(rows[0]) else { throw AppError.notFound("account", account.id) }
                let page = try Page(p, key: [.time, .integer])
                let now = try ledgerNow(ctx, rows[0])
                let from = try p.optionalInstant("from"), asked = try p.optionalInstant("to")
                // Without `to` the period ends now: one starting later would close before it opened.
                if let from, asked == nil, from > now {
                    throw AppError.invalidParams(
                        field: "from", reason: "is after now (\(now.rfc3339)), where a statement without to ends: give an earlier from, or to as well")
                }
                // A `to` not before now closes it now, every transfer so far counted, as a balance
                // as of that time counts them (`LedgerQueries.cut`); a period wholly ahead (a `from`
                // after now, with `to`) opens and closes at its `from`, as it stands now.
                let closedAt = min(asked ?? now, now)
                let to = from.map { max(closedAt, $0) } ?? closedAt
                let entries = try rows[0].filter { try !$0.isNull("seq") }.map(LedgerQueries.statementEntry)
                var result = try page.resultFields(entries, keyFields: "created_at", "seq")
                result["account_id"] = .string(account.id)
                result["opening"] = boundJSON(opening, at: from)
                result["closing"] = boundJSON(closing, at: to)
                result["change"] = BalanceChange.between(opening, closing).json
                // In CSV the opening row leads the first page and the closing row ends the last.
                let first = page.after == nil, last = result["next_cursor"] == .null
                return FinanceFormat.respond(
                    result, key: "items", FinanceTables.statement, p,
                    leading: first ? [FinanceTables.statementBound("opening_balance", at: from, opening)] : [],
                    trailing: last ? [FinanceTables.statementBound("closing_balance", at: to, closing)] : [])
            })))

    /// An account of `ledger.accounts` (`LedgerQueries.accountEntry`): its owner, when it was
    /// opened and its balance.
    static let accountSchema: Schema = .named("Account", .object([
        .init("account_id", .id(.account), required: true), .init("kind", .oneOf(AccountKind.allCases.map(\.rawValue)), required: true),
        .init("owner_id", .nullable(.id(.person)), required: true), .init("owner_email", .nullable(.email), required: true),
        .init("owner_first_name", .nullable(.name), required: true), .init("owner_last_name", .nullable(.name), required: true),
        .init("created_at", .timestamp, required: true, "When the account was opened"), .init("as_of", .timestamp, required: true),
    ] + balanceFields, additional: true))

    static let accounts = MethodDefinition(
        "ledger.accounts",
        "Every account of the community with its owner and posted, blocked and available credits, now or as of a past time, by kind then id; format csv for spreadsheets",
        audience: .roles([.finance]), mutating: false,
        params: [
            .init("kind", .oneOf(AccountKind.allCases.map(\.rawValue)), "Only accounts of this kind"),
            .init("as_of", .timestamp, asOfDescription + ". Without it each page is as of its own time: to list every account at one instant over several pages, give a time already past (a transfer being written at that instant could land between pages)"), FinanceFormat.param,
        ] + Page.fields,
        result: .object(FinanceFormat.listFields("items", accountSchema, "The accounts") + [
            .init("next_cursor", .nullable(.text()), required: true), .init("as_of", .timestamp, required: true),
        ], additional: true),
        body: .read(ReadPlan(
            settle: settling("as_of"),
            statements: { scope, p in
                let page = try Page(p, key: [.text, .text])
                guard page.after.map({ AccountKind(rawValue: $0[0].stringValue ?? "") != nil }) ?? true else {
                    throw AppError.invalidParams(field: "cursor", reason: "is not a cursor returned by this method")
                }
                return [LedgerQueries.accounts(
                    communityId: scope.communityId, kind: p.optionalString("kind"), asOf: try p.optionalInstant("as_of"), testClock: scope.testClock,
                    after: page.after.map { (kind: $0[0].stringValue!, id: $0[1].stringValue!) }, limit: page.limit + 1)]
            },
            respond: { ctx, rows, p in
                let asOf = try asOfAnswered(p, ctx, rows[0])
                let page = try Page(p, key: [.text, .text])
                var result = try page.resultFields(try rows[0].map { try LedgerQueries.accountEntry($0, asOf: asOf) }, keyFields: "kind", "account_id")
                result["as_of"] = .string(asOf.rfc3339)
                return FinanceFormat.respond(result, key: "items", FinanceTables.accounts, p)
            })))

    /// What ledger.balance's figures at the top are of, where a person's accounts are asked for.
    static let firstAccountsFigure =
        "The first account's, as account_id: with person_id, a person who has a wallet and earnings is answered their wallet's here, not a sum (accounts has each)"

    static let trialBalance = MethodDefinition(
        "ledger.trial_balance", "Totals per account kind, now or as of a past time; the grand total is always 0",
        audience: .roles([.finance]), mutating: false, params: [.init("as_of", .timestamp, asOfDescription), FinanceFormat.param],
        result: .object([
            .init("as_of", .timestamp, required: true),
        ] + FinanceFormat.listFields("kinds", .named("KindTotals", .object([
                .init("kind", .oneOf(AccountKind.allCases.map(\.rawValue)), required: true), .init("accounts", .integer(min: 0, max: .max), required: true),
            ] + balanceFields.map { .init($0.name, anyCredits, required: true, $0.description) }, additional: true)), "Each account kind's totals") + [
            .init("total", anyCredits, required: true, "The posted balances' sum: always 0"),
            .init("pending_total", anyCredits, required: true, "The pending balances' sum: always 0"),
        ], additional: true),
        body: .read(ReadPlan(
            settle: settling("as_of"),
            statements: { scope, p in [LedgerQueries.trialBalance(communityId: scope.communityId, asOf: try p.optionalInstant("as_of"), testClock: scope.testClock)] },
            respond: { ctx, rows, p in
                let asOf = try asOfAnswered(p, ctx, rows[0])
                var total: Int64 = 0
                var pendingTotal: Int64 = 0
                let kinds: [JSON] = try rows[0].map { r in
                    let b = try Balance(row: r)
                    total += b.posted
                    pendingTotal += b.creditsPending - b.debitsPending
                    var o = b.json.objectValue!
                    o["kind"] = .string(try r.string("kind"))
                    o["accounts"] = .int(try r.int("accounts"))
                    return .object(o)
                }
                return FinanceFormat.respond(
                    ["as_of": .string(asOf.rfc3339), "kinds": .array(kinds), "total": .int(total), "pending_total": .int(pendingTotal)],
                    key: "kinds", FinanceTables.trialBalance, p, shared: ["as_of"])
            })))

    static let reconcile = MethodDefinition(
        "ledger.reconcile", "Checks every ledger invariant of the community and lists each problem found",
        audience: .roles([.finance]), mutating: false, params: [],
        result: .object([
            .init("ok", .boolean, required: true),
            .init("problems", .list(.named("LedgerProblem", .object([
                .init("kind", .text(), required: true), .init("subject", .text(), required: true), .init("detail", .text(), required: true),
            ], additional: true)), max: maxProblemsListed), required: true, "The first \(maxProblemsListed) problems found"),
            .init("problems_total", .integer(min: 0, max: Int64.max), required: true, "How many problems there are in all, listed or not"),
            .init("truncated", .boolean, required: true, "More problems were found than problems lists (problems_total counts them)"),
            .init("checked_at", .timestamp, required: true,
                  "Now, when the ledger was checked: the later of the clock and the community's latest transfer, as the other finance reads label their figures"),
        ]),
        body: .read(ReadPlan(
            statements: { scope, _ in [LedgerQueries.problems(communityId: scope.communityId, limit: maxProblemsListed)] },
            respond: { ctx, rows, _ in
                let found = try rows[0].filter { try $0.optionalString("kind") != nil }
                let problems: [JSON] = try found.map {
                    ["kind": .string(try $0.string("kind")), "subject": .string(try $0.string("subject")), "detail": .string(try $0.string("detail"))]
                }
                let total = try found.first?.int("problems_total") ?? 0
                // Checked as of now: the later of the clock and the latest transfer, as every
                // finance read labels its figures.
                return ["ok": .bool(problems.isEmpty), "problems": .array(problems), "problems_total": .int(total),
                        "truncated": .bool(total > Int64(problems.count)), "checked_at": .string(try ledgerNow(ctx, rows[0]).rfc3339)]
            })))

    /// The most problems `ledger.reconcile` lists: a ledger at its worst still gets an answer.
    static let maxProblemsListed = Limits.standard.maxListItems

    static let meetingTrail = MethodDefinition(
        "ledger.meeting_trail", "Every credit movement of one meeting, in order, with its price, status, times and parties: what finance staff read of a meeting", audience: .member, mutating: false,
        params: [.init("meeting_id", .id(.meeting), required: true), FinanceFormat.param],
        result: .object([
            .init("meeting_id", .id(.meeting), required: true), .init("credit_status", .oneOf(CreditStatus.allCases.map(\.rawValue)), required: true),
            .init("status", .oneOf(MeetingStatus.allCases.map(\.rawValue)), required: true),
            .init("start", .nullable(.timestamp), required: true, "null when the expert's side declined the meeting and you are its user's side, as meeting.get hides it"),
            .init("length_minutes", .nullable(.integer(min: 5, max: 1440)), required: true, "null when start is"),
            .init("price_credits", .credits, required: true),
            .init("held_credits", .credits, required: true, "What its open hold holds (0 without one)"),
            .init("charged_credits", .nullable(.credits), required: true, "What the user paid once the hold was captured"),
            .init("service_id", .id(.service), required: true), .init("user_id", .id(.person), required: true),
            .init("expert_id", .id(.person), required: true),
        ] + FinanceFormat.listFields("transfers", transferSchema, "The meeting's transfers, in order")),
        errors: [DocErrors.notFound],
        body: .read(ReadPlan(
            statements: { scope, p in
                let id = try p.string("meeting_id")
                return [MeetingQueries.meeting(with: MeetingQueries.trail(communityId: scope.communityId, meetingId: id))]
            },
            respond: { ctx, rows, p in
                let (meeting, trail) = try MeetingQueries.decodeMeeting(withRows: rows[0])
                guard let m = meeting else { throw AppError.notFound("meeting", try p.string("meeting_id")) }
                guard m.party(of: ctx.actor.id) != nil || ctx.actor.hasAny([.finance, .admin]) else {
                    throw AppError.forbidden("only the meeting's parties, finance staff and admins may see its credits")
                }
                // A meeting the expert's side declined hides its time from its user's side, as
                // meeting.get does.
                let hidden = m.hidesDetails(from: ctx.actor.id) && !ctx.actor.hasAny([.finance, .admin])
                return FinanceFormat.respond(
                    // The meeting's money and whose it is: what finance reads of a meeting (its
                    // contents are for its parties and admins: meeting.get).
                    ["meeting_id": .string(m.id), "credit_status": .string(m.state.creditStatus.rawValue), "status": .string(m.state.status.rawValue),
                     "start": hidden ? .null : .string(m.state.start.rfc3339), "length_minutes": hidden ? .null : .int(m.state.lengthMinutes),
                     "price_credits": .int(m.state.priceCredits),
                     "held_credits": .int(m.state.heldCredits), "charged_credits": .optional(m.chargedCredits), "service_id": .string(m.serviceId),
                     "user_id": .string(m.userId), "expert_id": .string(m.expertId),
                     "transfers": .array(try trail.map(MeetingQueries.trailJSON))],
                    key: "transfers", FinanceTables.meetingTrail, p, shared: ["meeting_id"])
            })))
}
