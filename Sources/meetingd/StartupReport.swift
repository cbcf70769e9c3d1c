import Postgres
import RPC
import Store

/// What meetingd says once the schema is current: the migrations it applied, whether finance
/// staff's SQL roles can still do more than read, and whether its own role can still make
/// itself more than it should (closing either needs a superuser).
enum StartupReport {
    static func migrated(_ logger: Logger) -> @Sendable (Connection, [Int]) -> Void {
        { connection, applied in
            if !applied.isEmpty { logger.log(.info, "applied migrations \(applied.map(String.init).joined(separator: ", "))") }
            warnIfFinanceRolesAreOpen(on: connection, logger)
            warnIfTheRoleCanGrantServerRoles(on: connection, logger)
        }
    }

    /// Before PostgreSQL 16 a role with CREATEROLE may grant itself any role but a superuser's,
    /// pg_execute_server_program among them (programs run as the server's OS user): meetingd's
    /// role needs it only while a migration makes or alters finance roles, so every start says
    /// so while the role keeps it.
    static func warnIfTheRoleCanGrantServerRoles(on connection: Connection, _ logger: Logger) {
        do {
            let row = try connection.query(SystemQueries.roleCanGrantServerRoles).one()
            guard try row.bool("open") else { return }
            let role = try row.string("role")
            logger.log(
                .warning,
                "meetingd's role \(role) has CREATEROLE, which on this PostgreSQL lets it make itself a member of pg_execute_server_program "
                    + "(programs run as the server's OS user) and pg_read_server_files: its password would give the whole server. It needs "
                    + "CREATEROLE only while it migrates; take it away as a superuser (ALTER ROLE \(role) NOCREATEROLE) and create finance "
                    + "roles as a superuser (README: Finance staff's SQL access)")
        } catch {
            logger.log(.warning, "could not check meetingd's role's attributes (pg_roles): \(error)")
        }
    }

    /// Every start-up says so until it is fixed: the migration cannot revoke what only a
    /// superuser may, and a finance role must never be able to lock or write.
    static func warnIfFinanceRolesAreOpen(on connection: Connection, _ logger: Logger) {
        let rows: Rows
        do {
            rows = try connection.query(SystemQueries.financeAccessProblems)
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
            for row in try connection.query(SystemQueries.financeRoleProblems) {
                logger.log(.warning, "finance SQL roles: \(try row.string("problem")); fix: \(try row.string("fix")) (README: Backups and restores)")
            }
        } catch {
            logger.log(.warning, "could not check finance SQL roles (finance_role_problems()): \(error)")
        }
    }
}
