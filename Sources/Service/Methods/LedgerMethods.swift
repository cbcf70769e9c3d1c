import Community
import Core
import Foundation
import Ledger
import Pipeline
import Postgres
import RPC
import Store

enum LedgerMethods {
    static var all: [ServiceMethod] { [grant, adjust, payout, balance, statement, trialBalance, reconcile] }

    static let transferSchema: Schema = .object([
        .init("id", .id(.transfer), required: true), .init("seq", .integer(min: 1, max: .max), required: true),
        .init("kind", .text(), required: true), .init("credits", .positiveCredits, required: true),
        .init("debit_account_id", .id(.account), required: true), .init("credit_account_id", .id(.account), required: true),
        .init("created_at", .timestamp, required: true),
    ], additional: true)

    static func transferJSON(_ t: TransferResult, kind: String) -> JSON {
        [
            "id": .string(t.id), "seq": .int(t.seq), "kind": .string(kind), "credits": .int(t.amount),
            "debit_account_id": .string(t.debitAccountId), "credit_account_id": .string(t.creditAccountId),
            "created_at": .string(t.createdAt.rfc3339),
        ]
    }

    // MARK: Movements

    static let grant = ServiceMethod(
        "credits.grant", "Adds purchased credits to a user's wallet; each external reference is granted once",
        audience: .roles([.finance, .admin]), mutating: true,
        params: [
            .init("user_id", .id(.person), required: true), .init("credits", .positiveCredits, required: true),
            .init("reference", .text(min: 1, max: 200), required: true, "The purchase's external reference (order id)"),
        ],
        result: transferSchema, errors: [DocErrors.notFound]
    ) { ctx, params in
        let userId = try params.string("user_id")
        let t = try LedgerStore.transfer(
            ctx.db, communityId: ctx.communityId,
            .init(debit: .owned(.issuance, owner: nil), credit: .owned(.userWallet, owner: userId), amount: try params.int("credits"),
                  kind: "grant", reference: try params.string("reference")),
            actorId: ctx.actor.id, at: ctx.ledgerTime)
        return transferJSON(t, kind: "grant")
    }.mappingNotFound("user wallet", param: "user_id")

    static let adjust = ServiceMethod(
        "credits.adjust", "Corrects an account by a signed amount against issuance, with a reason; never overdraws",
        audience: .roles([.finance]), mutating: true,
        params: [
            .init("account_id", .id(.account), required: true),
            .init("credits", .integer(min: -Limits.standard.maxCredits, max: Limits.standard.maxCredits), required: true, "Positive adds, negative removes"),
            .init("reason", .text(min: 1, max: 2000), required: true),
        ],
        result: transferSchema, errors: [DocErrors.notFound, DocErrors.insufficientCredits]
    ) { ctx, params in
        let accountId = try params.string("account_id")
        let credits = try params.int("credits")
        guard credits != 0 else { throw AppError.invalidParams(field: "credits", reason: "must not be 0") }
        guard let row = try ctx.db.query("SELECT kind FROM accounts WHERE community_id = $1 AND id = $2", [ctx.communityId, accountId]).first else {
            throw AppError.notFound("account", accountId)
        }
        guard try row.string("kind") != AccountKind.issuance.rawValue else {
            throw AppError.invalidParams(field: "account_id", reason: "is the issuance account, the counterpart of every adjustment")
        }
        let account = LedgerStore.Side.account(accountId), issuance = LedgerStore.Side.owned(.issuance, owner: nil)
        let t = try LedgerStore.transfer(
            ctx.db, communityId: ctx.communityId,
            .init(debit: credits > 0 ? issuance : account, credit: credits > 0 ? account : issuance, amount: abs(credits), kind: "adjustment",
                  reason: try params.string("reason")),
            actorId: ctx.actor.id, at: ctx.ledgerTime)
        return transferJSON(t, kind: "adjustment")
    }

    static let payout = ServiceMethod(
        "payout.create", "Pays an expert's available earnings out; cannot exceed what is available",
        audience: .roles([.finance]), mutating: true,
        params: [
            .init("expert_id", .id(.person), required: true), .init("credits", .positiveCredits, required: true),
            .init("reference", .text(min: 1, max: 200), required: true),
        ],
        result: transferSchema, errors: [DocErrors.notFound, DocErrors.insufficientCredits]
    ) { ctx, params in
        let t = try LedgerStore.transfer(
            ctx.db, communityId: ctx.communityId,
            .init(debit: .owned(.expertEarnings, owner: try params.string("expert_id")), credit: .owned(.payouts, owner: nil),
                  amount: try params.int("credits"), kind: "payout", reference: try params.string("reference")),
            actorId: ctx.actor.id, at: ctx.ledgerTime)
        return transferJSON(t, kind: "payout")
    }.mappingNotFound("expert earnings account", param: "expert_id")

    // MARK: Reading

    struct AccountRow {
        let id: String
        let kind: String
        let ownerId: String?
    }

    /// The account named by `account_id`, or the accounts of `person_id`; only the owner and
    /// finance staff may read them.
    static func accounts(_ ctx: RequestContext, _ params: Params) throws -> [AccountRow] {
        let rows: Rows
        if let accountId = params.optionalString("account_id") {
            rows = try ctx.db.query("SELECT id, kind, owner_id FROM accounts WHERE community_id = $1 AND id = $2", [ctx.communityId, accountId])
            guard !rows.isEmpty else { throw AppError.notFound("account", accountId) }
        } else if let personId = params.optionalString("person_id") {
            _ = try ctx.person(personId)
            guard personId == ctx.actor.id || ctx.actor.has(.finance) else {
                throw AppError.forbidden("only the person themself and finance staff may read their accounts")
            }
            rows = try ctx.db.query(
                "SELECT id, kind, owner_id FROM accounts WHERE community_id = $1 AND owner_id = $2 ORDER BY kind DESC", [ctx.communityId, personId])
        } else {
            throw AppError.invalidParams(field: "account_id", reason: "is required (or give person_id)")
        }
        let accounts = try rows.map { AccountRow(id: try $0.string("id"), kind: try $0.string("kind"), ownerId: try $0.optionalString("owner_id")) }
        for a in accounts where !(ctx.actor.has(.finance) || (a.ownerId != nil && a.ownerId == ctx.actor.id)) {
            throw AppError.forbidden("only the account's owner and finance staff may read it")
        }
        return accounts
    }

    static let balance = ServiceMethod(
        "ledger.balance", "Posted, blocked and available credits of an account (or a person's accounts), now or as of a past time",
        audience: .member, mutating: false,
        params: [
            .init("account_id", .id(.account)), .init("person_id", .id(.person)),
            .init("as_of", .timestamp, "The balance after every transfer up to this time"),
        ],
        result: .object([
            .init("account_id", .nullable(.id(.account)), required: true), .init("posted", .integer(min: .min, max: .max), required: true),
            .init("blocked", .credits, required: true), .init("available", .integer(min: .min, max: .max), required: true),
        ], additional: true),
        errors: [DocErrors.notFound]
    ) { ctx, params in
        let asOf = try params.optionalInstant("as_of")
        let list: [JSON] = try accounts(ctx, params).map { a in
            let b = try LedgerStore.balance(ctx.db, communityId: ctx.communityId, accountId: a.id, asOf: asOf) ?? .zero
            var o = b.json.objectValue!
            o["account_id"] = .string(a.id)
            o["kind"] = .string(a.kind)
            o["owner_id"] = .optional(a.ownerId)
            o["as_of"] = .string((asOf ?? ctx.now).rfc3339)
            return .object(o)
        }
        guard var first = list.first?.objectValue else {
            return ["account_id": .null, "posted": 0, "blocked": 0, "available": 0, "accounts": []]
        }
        first["accounts"] = .array(list)
        return .object(first)
    }

    static let statementEntrySchema: Schema = .object([
        .init("seq", .integer(min: 1, max: .max), required: true), .init("transfer_id", .id(.transfer), required: true),
        .init("credits", .integer(min: .min, max: .max), required: true), .init("posted_balance", .integer(min: .min, max: .max), required: true),
    ], additional: true)

    static let statement = ServiceMethod(
        "ledger.statement", "An account's entries with the running balance after each, oldest first; format csv for spreadsheets",
        audience: .member, mutating: false,
        params: [
            .init("account_id", .id(.account), required: true), .init("from", .timestamp), .init("to", .timestamp),
            .init("format", .oneOf(["json", "csv"])),
        ] + Page.fields,
        result: .object([
            .init("items", .list(statementEntrySchema)), .init("csv", .text()), .init("next_cursor", .nullable(.text()), required: true),
        ], additional: true),
        errors: [DocErrors.notFound]
    ) { ctx, params in
        let account = try accounts(ctx, params)[0]
        let page = try Page(params, key: [.time, .integer])
        let after = page.after
        let rows = try ctx.db.query(
            """
            SELECT seq, transfer_id, transfer_kind, phase, side, signed_amount, posted_balance_after, blocked_after, available_after,
                   meeting_id, reference, reason, created_at
            FROM finance_transfers
            WHERE community_id = $1 AND account_id = $2 AND ($3::timestamptz IS NULL OR (created_at, seq) > ($3::timestamptz, $7::bigint))
              AND ($4::timestamptz IS NULL OR created_at >= $4) AND ($5::timestamptz IS NULL OR created_at < $5)
            ORDER BY created_at, seq LIMIT $6
            """,
            [ctx.communityId, account.id, after?[0].stringValue, try params.optionalInstant("from"), try params.optionalInstant("to"), page.limit + 1,
             after?[1].intValue])
        let items: [JSON] = try rows.map { r in
            [
                "seq": .int(try r.int("seq")), "transfer_id": .string(try r.string("transfer_id")), "kind": .string(try r.string("transfer_kind")),
                "phase": .string(try r.string("phase")), "side": .string(try r.string("side")), "credits": .int(try r.int("signed_amount")),
                "posted_balance": .int(try r.int("posted_balance_after")), "blocked": .int(try r.int("blocked_after")),
                "available": .int(try r.int("available_after")), "meeting_id": .optional(try r.optionalString("meeting_id")),
                "reference": .optional(try r.optionalString("reference")), "reason": .optional(try r.optionalString("reason")),
                "created_at": .string(try r.instant("created_at").rfc3339),
            ]
        }
        var result = page.result(items) { [$0["created_at"]!, $0["seq"]!] }.objectValue!
        result["account_id"] = .string(account.id)
        if params.optionalString("format") == "csv" {
            let columns = ["seq", "created_at", "transfer_id", "kind", "phase", "side", "credits", "posted_balance", "blocked", "available", "meeting_id", "reference", "reason"]
            result["csv"] = .string(CSVWriter.table(header: columns, rows: result["items"]!.arrayValue!.map { item in columns.map { item[$0] ?? .null } }))
            result["items"] = nil
            result["format"] = "csv"
        }
        return .object(result)
    }

    static let trialBalance = ServiceMethod(
        "ledger.trial_balance", "Totals per account kind, now or as of a past time; the grand total is always 0",
        audience: .roles([.finance]), mutating: false, params: [.init("as_of", .timestamp)],
        result: .object([.init("kinds", .list(.anyJSON(description: "totals of one account kind")), required: true), .init("total", .integer(min: .min, max: .max), required: true)], additional: true)
    ) { ctx, params in
        let asOf = try params.optionalInstant("as_of")
        let rows = try ctx.db.query(
            """
            SELECT a.kind, count(*) AS accounts,
                   coalesce(sum(b.debits_posted), 0) AS debits_posted, coalesce(sum(b.credits_posted), 0) AS credits_posted,
                   coalesce(sum(b.debits_pending), 0) AS debits_pending, coalesce(sum(b.credits_pending), 0) AS credits_pending
            FROM accounts a
            LEFT JOIN LATERAL (
                SELECT a.debits_posted, a.credits_posted, a.debits_pending, a.credits_pending WHERE $2::timestamptz IS NULL
                UNION ALL
                SELECT h.debits_posted, h.credits_posted, h.debits_pending, h.credits_pending
                FROM ledger_balance_as_of(a.community_id, a.id, $2) h WHERE $2::timestamptz IS NOT NULL
            ) b ON true
            WHERE a.community_id = $1
            GROUP BY a.kind ORDER BY a.kind
            """, [ctx.communityId, asOf])
        var total: Int64 = 0
        var pendingTotal: Int64 = 0
        let kinds: [JSON] = try rows.map { r in
            let b = try Balance(row: r)
            total += b.posted
            pendingTotal += b.creditsPending - b.debitsPending
            var o = b.json.objectValue!
            o["kind"] = .string(try r.string("kind"))
            o["accounts"] = .int(try r.int("accounts"))
            return .object(o)
        }
        return ["as_of": .string((asOf ?? ctx.now).rfc3339), "kinds": .array(kinds), "total": .int(total), "pending_total": .int(pendingTotal)]
    }

    static let reconcile = ServiceMethod(
        "ledger.reconcile", "Checks every ledger invariant of the community and lists each problem found",
        audience: .roles([.finance]), mutating: false, params: [],
        result: .object([.init("ok", .boolean, required: true), .init("problems", .list(.anyJSON(description: "{kind, subject, detail}")), required: true)])
    ) { ctx, _ in
        let rows = try ctx.db.query("SELECT kind, subject, detail FROM ledger_problems($1) UNION ALL SELECT kind, subject, detail FROM meeting_problems($1)", [ctx.communityId])
        let problems: [JSON] = try rows.map { ["kind": .string(try $0.string("kind")), "subject": .string(try $0.string("subject")), "detail": .string(try $0.string("detail"))] }
        return ["ok": .bool(problems.isEmpty), "problems": .array(problems), "checked_at": .string(ctx.now.rfc3339)]
    }
}

extension ServiceMethod {
    /// Rewrites the ledger's "account not found" into a not_found naming the caller's param.
    func mappingNotFound(_ what: String, param: String) -> ServiceMethod {
        guard case .authenticated(let body) = self.body else { return self }
        return ServiceMethod(name, summary, audience: audience, mutating: mutating, params: params, result: result, errors: errors) { ctx, p in
            do {
                return try body(ctx, p)
            } catch let e as AppError where e.dataCode == "not_found" && e.details["kind"] == "account" {
                throw AppError.notFound(what, p.optionalString(param) ?? "")
            }
        }
    }
}
