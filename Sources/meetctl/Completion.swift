/// `meetctl completion bash|zsh|fish`: shell completion written from the command table, so it
/// offers exactly the commands, options and values the parser accepts. bash and zsh share one
/// set of table functions (POSIX `case`), fish gets its own `complete` lines with each command's
/// summary.
enum Completion {
    static let shells = ["bash", "zsh", "fish"]

    /// What a value position completes to.
    enum Values: Equatable {
        case none
        case words([String])
        case files
    }

    static func values(_ kind: ValueKind) -> Values {
        switch kind {
        case .choice(let words): return .words(words)
        case .list(let inner): return values(inner)
        case .file: return .files
        default: return .none
        }
    }

    /// The command table as completion reads it.
    struct Table {
        let commands: [CommandSpec]

        /// Every path that has subcommands (the top included), with them; `help` takes any
        /// top-level word.
        var branches: [(path: [String], words: [String])] {
            let parser = Parser(commands: commands)
            var paths: [[String]] = [[]]
            for c in commands {
                for n in 1..<max(c.path.count, 1) where !paths.contains(Array(c.path.prefix(n))) { paths.append(Array(c.path.prefix(n))) }
            }
            let top = parser.subcommands(of: [])
            return paths.map { ($0, parser.subcommands(of: $0) + ($0.isEmpty ? ["help"] : [])) } + [(["help"], top)]
        }

        static func optionWords(_ options: [OptionSpec]) -> [String] { options.map { "--" + $0.name } }
        static func valuedWords(_ options: [OptionSpec]) -> [String] { options.filter { !$0.flag }.map { "--" + $0.name } }
    }

    static func script(_ shell: String, commands: [CommandSpec]) -> String {
        let table = Table(commands: commands)
        switch shell {
        case "fish": return fish(table)
        case "zsh": return zsh(table)
        default: return bash(table)
        }
    }

    // MARK: bash and zsh

    /// A word list as a shell single-quoted string.
    static func quoted(_ words: [String]) -> String {
        "'" + words.joined(separator: " ").replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    static func caseFunction(_ name: String, _ doc: String, _ arms: [(key: String, words: String)], otherwise: String = "''") -> String {
        var out = "# \(doc)\n\(name)() {\n    case \"$1\" in\n"
        for arm in arms { out += "        \(quoted([arm.key]))) echo \(arm.words) ;;\n" }
        return out + "        *) echo \(otherwise) ;;\n    esac\n}\n"
    }

    static func valueWords(_ values: Values) -> String? {
        switch values {
        case .none: return nil
        case .words(let words): return quoted(words)
        case .files: return "__files__"
        }
    }

    /// The table functions: children of a path, options of a command, the options that take a
    /// value, and what a value or the first argument completes to.
    static func tableFunctions(_ t: Table) -> String {
        let children = t.branches.map { (key: $0.path.joined(separator: " "), words: quoted($0.words)) }
        let options = t.commands.map { (key: $0.name, words: quoted(Table.optionWords($0.allOptions))) }
        let valued = t.commands.map { (key: $0.name, words: quoted(Table.valuedWords($0.allOptions))) }
        var values: [(key: String, words: String)] = []
        var arguments: [(key: String, words: String)] = []
        for c in t.commands {
            for o in c.allOptions { if let words = valueWords(Completion.values(o.kind)) { values.append((key: c.name + " --" + o.name, words: words)) } }
            for (index, argument) in c.arguments.enumerated() {
                if let words = valueWords(Completion.values(argument.kind)) { arguments.append((key: "\(c.name) \(index)", words: words)) }
            }
        }
        return caseFunction("_meetctl_children", "The words that may follow a command path.", children)
            + caseFunction("_meetctl_options", "A command's options; before the command is complete, the global ones.", options,
                           otherwise: quoted(Table.optionWords(GlobalOptions.all)))
            + caseFunction("_meetctl_valued", "The options of a command that take a value.", valued, otherwise: quoted(Table.valuedWords(GlobalOptions.all)))
            + caseFunction("_meetctl_values", "What the value of \"COMMAND --OPTION\" completes to (__files__: a file name).", values)
            + caseFunction("_meetctl_arguments", "What \"COMMAND N\" completes to: the command's argument N, from 0.", arguments)
    }

    /// The shared part of the completion function: the command path typed before the cursor
    /// (`cmd`), then the candidate words for the current one (`candidates`, or files).
    static let walk = """
            local cmd="" word i skip=0 nargs=0 candidates="" files=0
            for ((i = first; i < current; i++)); do
                word="${words_typed[i]}"
                if ((skip)); then skip=0; continue; fi
                case "$word" in
                    --*=*) ;;
                    --*) case " $(_meetctl_valued "$cmd") " in *" $word "*) skip=1 ;; esac ;;
                    *) case " $(_meetctl_children "$cmd") " in *" $word "*) cmd="${cmd:+$cmd }$word" ;; *) nargs=$((nargs + 1)) ;; esac ;;
                esac
            done
            if ((skip)); then
                candidates="$(_meetctl_values "$cmd ${words_typed[current - 1]}")"
            elif [[ "$cur" == -* ]]; then
                candidates="$(_meetctl_options "$cmd")"
            else
                candidates="$(_meetctl_children "$cmd")"
                [[ -n "$candidates" ]] || candidates="$(_meetctl_arguments "$cmd $nargs")"
            fi
            if [[ "$candidates" == __files__ ]]; then files=1; candidates=""; fi
    """

    static func bash(_ t: Table) -> String {
        """
        # bash completion for meetctl, written by `meetctl completion bash` from meetctl's own command table.
        # Load it in this shell:   source <(meetctl completion bash)
        # or for every shell:      meetctl completion bash > ~/.local/share/bash-completion/completions/meetctl

        \(tableFunctions(t))
        _meetctl() {
            local -a words_typed=("${COMP_WORDS[@]}")
            local first=1 current=$COMP_CWORD cur="${COMP_WORDS[COMP_CWORD]}"
        \(walk)
            COMPREPLY=()
            if ((files)); then
                COMPREPLY=($(compgen -f -- "$cur"))
            else
                COMPREPLY=($(compgen -W "$candidates" -- "$cur"))
            fi
        }
        complete -F _meetctl meetctl

        """
    }

    static func zsh(_ t: Table) -> String {
        """
        #compdef meetctl
        # zsh completion for meetctl, written by `meetctl completion zsh` from meetctl's own command table.
        # Load it in this shell (after compinit):  source <(meetctl completion zsh)
        # or for every shell: meetctl completion zsh > "${fpath[1]}/_meetctl"

        \(tableFunctions(t))
        _meetctl() {
            local -a words_typed=("${words[@]}")
            local first=2 current=$CURRENT cur="${words[CURRENT]}"
        \(walk)
            if ((files)); then
                _files
            else
                compadd -- ${=candidates}
            fi
        }

        if [[ "${zsh_eval_context[-1]}" == loadautofunc ]]; then
            _meetctl "$@"
        else
            compdef _meetctl meetctl
        fi

        """
    }

    // MARK: fish

    static func fishQuoted(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'") + "'"
    }

    static func fish(_ t: Table) -> String {
        var out = """
            # fish completion for meetctl, written by `meetctl completion fish` from meetctl's own command table.
            # Load it in this shell:  meetctl completion fish | source
            # or for every shell:     meetctl completion fish > ~/.config/fish/completions/meetctl.fish

            # What is typed before the cursor: "p:" and the command path, then "n:" and how many
            # arguments follow it (options and their values skipped).
            function __meetctl_state
                set -l path
                set -l skip 0
                set -l nargs 0
                set -l typed (commandline -opc)
                set -e typed[1]
                for word in $typed
                    if test $skip = 1
                        set skip 0
                    else if string match -q -- '--*' $word
                        contains -- $word (__meetctl_valued "$path"); and set skip 1
                    else if contains -- $word (__meetctl_children "$path")
                        set -a path $word
                    else
                        set nargs (math $nargs + 1)
                    end
                end
                echo "p:$path"
                echo "n:$nargs"
            end

            # True at the command path $argv[1] (and, given $argv[2], with that many arguments typed).
            function __meetctl_at
                set -l state (__meetctl_state)
                test "$state[1]" = "p:$argv[1]"; or return 1
                test (count $argv) -lt 2; or test "$state[2]" = "n:$argv[2]"
            end

            function __meetctl_valued
                switch "$argv[1]"

            """
        for c in t.commands {
            out += "        case \(fishQuoted(c.name))\n            printf '%s\\n' \(Table.valuedWords(c.allOptions).map(fishQuoted).joined(separator: " "))\n"
        }
        out += "        case '*'\n            printf '%s\\n' \(Table.valuedWords(GlobalOptions.all).map(fishQuoted).joined(separator: " "))\n    end\nend\n\n"
        out += """

            function __meetctl_children
                switch "$argv[1]"

            """
        for branch in t.branches {
            out += "        case \(fishQuoted(branch.path.joined(separator: " ")))\n            printf '%s\\n' \(branch.words.map(fishQuoted).joined(separator: " "))\n"
        }
        out += "    end\nend\n\ncomplete -c meetctl -f\n"
        for branch in t.branches {
            let condition = fishQuoted("__meetctl_at " + fishQuoted(branch.path.joined(separator: " ")))
            for word in branch.words {
                let summary = t.commands.first { $0.path == branch.path + [word] }?.summary
                    ?? (word == "help" ? "Show help for a command" : Parser(commands: t.commands).subcommands(of: branch.path + [word]).joined(separator: ", "))
                out += "complete -c meetctl -n \(condition) -a \(fishQuoted(word)) -d \(fishQuoted(summary))\n"
            }
            if !t.commands.contains(where: { $0.path == branch.path }) {
                for o in GlobalOptions.all { out += fishOption(o, condition: condition) }
            }
        }
        for c in t.commands {
            let condition = fishQuoted("__meetctl_at " + fishQuoted(c.name))
            for o in c.allOptions { out += fishOption(o, condition: condition) }
            for (index, argument) in c.arguments.enumerated() {
                let at = fishQuoted("__meetctl_at " + fishQuoted(c.name) + " \(index)")
                switch values(argument.kind) {
                case .words(let words): out += "complete -c meetctl -n \(at) -a \(fishQuoted(words.joined(separator: " ")))\n"
                case .files: out += "complete -c meetctl -n \(at) -F\n"
                case .none: break
                }
            }
        }
        return out
    }

    static func fishOption(_ o: OptionSpec, condition: String) -> String {
        var line = "complete -c meetctl -n \(condition) -l \(o.name) -d \(fishQuoted(o.help))"
        switch (o.flag, values(o.kind)) {
        case (true, _): break
        case (false, .words(let words)): line += " -x -a \(fishQuoted(words.joined(separator: " ")))"
        case (false, .files): line += " -r -F"
        case (false, .none): line += " -x"
        }
        return line + "\n"
    }
}
