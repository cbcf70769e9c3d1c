import Postgres
import RPC

/// What meetingd says once the schema is current: the migrations it applied, and whether
/// finance staff's SQL roles can still do more than read (closing that needs a superuser).
enum StartupReport {
    static func migrated(_ logger: Logger) -> @Sendable (Connection, [Int]) -> Void {
        { connection, applied in
            if !applied.isEmpty { logger.log(.info, "applied migrations \(applied.map(String.init).joined(separator: ", "))") }
            warnIfFinanceRolesAreOpen(on: connection, logger)
        }
    }

    /// Every start-up says so until it is fixed: the migration cannot revoke what only a
    /// superuser may, and a finance role must never be able to lock or write.
    static func warnIfFinanceRolesAreOpen(on connection: Connection, _ logger: Logger) {
        let rows: Rows
        do {
            rows = try connection.query("SELECT privilege FROM finance_access_problems()")
        } catch {
            return logger.log(.warning, "could not check finance SQL roles' privileges (finance_access_problems()): \(error)")
        }
        guard !rows.isEmpty else { return warnOfFinanceRoleProblems(on: connection, logger) }
        let privileges = rows.compactMap { try? $0.string("privilege") }
        logger.log(
            .warning,
            "finance SQL roles are not locked down: every role may still use \(privileges.count) things a read-only role must not "
                + "(\(privileges.prefix(3).joined(separator: "; "))\(privileges.count > 3 ? "; …" : "")); finance_role_create refuses "
                + "until a superuser runs SELECT * FROM finance_lockdown(); in this database (README: Finance staff's SQL access)")
        warnOfFinanceRoleProblems(on: connection, logger)
    }

    /// What a restore can leave between the finance roles and their rows (a role that sees no
    /// row, the finance group missing): each with the statement that fixes it.
    static func warnOfFinanceRoleProblems(on connection: Connection, _ logger: Logger) {
        do {
            for row in try connection.query("SELECT problem, fix FROM finance_role_problems()") {
                logger.log(.warning, "finance SQL roles: \(try row.string("problem")); fix: \(try row.string("fix")) (README: Backups and restores)")
            }
        } catch {
            logger.log(.warning, "could not check finance SQL roles (finance_role_problems()): \(error)")
        }
    }
}
