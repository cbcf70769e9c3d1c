"""An SMTP server's handler for the meetctl delivery tests: every message received is written to
a folder as NNNN.eml (the bytes as received) and NNNN.json (envelope, decoded headers, the
decoded plain-text body with LF line ends, every MIME leaf part with its parameters and its
decoded bytes exactly, and what Python's strict e-mail policy objected to, if anything), each
file complete before it appears.

    PYTHONPATH=<this folder> python3 -m aiosmtpd -n -l 127.0.0.1:PORT -c smtp_sink.FolderHandler FOLDER
"""
import email
import email.header
import email.policy
import json
import os


class FolderHandler:
    def __init__(self, folder):
        self.folder = folder
        os.makedirs(folder, exist_ok=True)
        self.count = len([name for name in os.listdir(folder) if name.endswith(".eml")])

    @classmethod
    def from_cli(cls, parser, *args):
        if len(args) != 1:
            parser.error("FolderHandler takes one argument: the folder to write messages to")
        return cls(args[0])

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or envelope.content
        if isinstance(raw, str):
            raw = raw.encode("utf-8")
        message = email.message_from_bytes(raw, policy=email.policy.default)
        parsed = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "headers": {name.lower(): str(value) for name, value in message.items()},
            # As RFC 2047 decodes them (white space between encoded words dropped, §6.2), which
            # Python's default policy does not do inside a display name.
            "headers_rfc2047": {name.lower(): str(email.header.make_header(email.header.decode_header(value)))
                                for name, value in email.message_from_bytes(raw, policy=email.policy.compat32).items()},
            "body": message.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n"),
            "parts": [self._leaf(part) for part in message.walk() if not part.is_multipart()],
            "strict_error": self._strict_error(raw),
        }
        self.count += 1
        stem = os.path.join(self.folder, "%04d" % self.count)
        self._write(stem + ".eml", raw)
        self._write(stem + ".json", json.dumps(parsed, ensure_ascii=False, indent=1).encode("utf-8"))
        return "250 Message accepted for delivery"

    @staticmethod
    def _leaf(part):
        return {
            "content_type": part.get_content_type(),
            "params": {key.lower(): value for key, value in part.get_params()[1:]},
            "disposition": part.get_content_disposition(),
            "filename": part.get_filename(),
            "transfer_encoding": part.get("Content-Transfer-Encoding"),
            "text": part.get_payload(decode=True).decode("utf-8"),
        }

    @staticmethod
    def _strict_error(raw):
        """Parses again with email.policy.strict, which raises on the first defect, reading every
        header and every part's content; None when it found none."""
        try:
            message = email.message_from_bytes(raw, policy=email.policy.strict)
            for part in message.walk():
                if part.defects:
                    return "defects: %r" % part.defects
                for name, value in part.items():
                    if getattr(value, "defects", None):
                        return "%s: %r" % (name, list(value.defects))
                if not part.is_multipart():
                    part.get_content()
            return None
        except Exception as error:
            return "%s: %s" % (type(error).__name__, error)

    @staticmethod
    def _write(path, data):
        partial = path + ".partial"
        with open(partial, "wb") as f:
            f.write(data)
        os.rename(partial, path)
