"""A mail's words: decoding text parts whatever their charset claims, HTML made safe to show
and readable as text, and the quoted history folded away from a reply.

Mail in the wild lies about its charset (ISO-8859-1 labels on Windows-1252 text, 8-bit bodies
with no label, names Python does not know), so decoding never trusts the label alone and never
raises: an agent reading a few replacement characters beats a message that is not shown.
"""

from __future__ import annotations

import codecs
import re
from email.message import EmailMessage
from html import unescape
from html.parser import HTMLParser

import nh3
from mailparser_reply import EmailMessage as QuotedMail  # type: ignore[import-untyped]

# Labels that mean a superset in practice (the WHATWG encoding standard decodes them so too).
_SUPERSETS = {"iso-8859-1": "cp1252", "latin1": "cp1252", "us-ascii": "cp1252", "ascii": "cp1252",
              "iso-8859-9": "cp1254", "gb2312": "gb18030", "gbk": "gb18030",
              "ks_c_5601-1987": "cp949", "shift_jis": "cp932", "x-sjis": "cp932"}

# Reply parsers that fold quoted history; "en" first, then the languages our customers' mail
# clients write "On …, … wrote:" in. mail-parser-reply has no Indonesian, so ours is added below.
_REPLY_LANGUAGES = ["en", "de", "fr", "es", "nl", "ja", "zh"]
_INDONESIAN = (
    # Gmail: "Pada tanggal Sen, 7 Des 2026 pukul 10.45 Support Desk <…> menulis:" (wrapped)
    re.compile(r"^(?:> ?)*Pada (?:tgl |tanggal )?.{4,200}?menulis:\s*$", re.M | re.DOTALL),
    # Outlook: "Dari: …" then "Dikirim: …" / "Kepada: …"
    re.compile(r"^[ \t>*]*Dari:.*\n[ \t>*]*(?:Dikirim|Terkirim|Tanggal|Kepada):", re.M),
)


def decode_text(part: EmailMessage) -> str:
    """The part's text; the declared charset when it decodes cleanly, else UTF-8, else
    Windows-1252 (which maps every byte)."""
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    text = decode_bytes(payload, part.get_content_charset())
    if str(part.get_param("format") or "").lower() == "flowed":
        return unflow(text, str(part.get_param("delsp") or "").lower() == "yes")
    return text


def unflow(text: str, delsp: bool = False) -> str:
    """RFC 3676: a line ending in a space continues on the next line of the same quote depth
    (Thunderbird wraps paragraphs so); the signature separator "-- " is not a soft break."""
    out: list[tuple[int, str]] = []
    joining = False
    for line in text.replace("\r\n", "\n").split("\n"):
        depth = len(line) - len(line.lstrip(">"))
        content = line[depth:]
        content = content[1:] if content.startswith(" ") else content  # space-stuffing
        if joining and out and out[-1][0] == depth:
            out[-1] = (depth, out[-1][1] + content)
        else:
            out.append((depth, content))
        joining = content.endswith(" ") and content != "-- "
        if joining and delsp:
            out[-1] = (depth, out[-1][1][:-1])
    return "\n".join(("> " * d if d else "") + c for d, c in out)


def decode_bytes(payload: bytes, charset: str | None) -> str:
    declared = _codec(charset)
    for name in (declared, "utf-8"):
        if name is not None:
            try:
                return payload.decode(name)
            except UnicodeDecodeError:
                continue
    return payload.decode(declared or "cp1252", errors="replace")


def _codec(charset: str | None) -> str | None:
    if not charset:
        return None
    name = charset.strip().strip('"').lower()
    name = _SUPERSETS.get(name, name)
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


# The marks clients put on quoted history, kept so a page can fold it in the HTML as well.
_QUOTE_CLASSES = {"div": {"gmail_quote", "gmail_attr", "yahoo_quoted", "moz-cite-prefix"},
                  "blockquote": {"gmail_quote"}}


def sanitise(html: str) -> str:
    """HTML an agent's page may show: scripts, styles, event handlers and remote tricks gone;
    `cid:` kept so inline images can be pointed at the stored parts."""
    schemes = {"http", "https", "mailto", "tel", "cid"}
    return nh3.clean(html, url_schemes=schemes,
                     clean_content_tags={"script", "style", "title", "head"},
                     allowed_classes=_QUOTE_CLASSES,
                     tag_attribute_values={"blockquote": {"type": {"cite"}}}).strip()


_BLOCKS = {"p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table",
           "ul", "ol", "pre", "hr", "blockquote", "section", "article", "header", "footer"}
_HIDDEN = {"script", "style", "head", "title"}


class _Text(HTMLParser):
    """HTML to plain text: blocks become lines, blockquotes become "> " lines so the reply
    parser folds them like quoted plain text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = [""]
        self.quote = 0
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HIDDEN:
            self.hidden += 1
        elif tag in _BLOCKS:
            self._break()
            self.quote += tag == "blockquote"

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN:
            self.hidden = max(0, self.hidden - 1)
        elif tag in _BLOCKS:
            self.quote = max(0, self.quote - (tag == "blockquote"))
            self._break()

    def handle_data(self, data: str) -> None:
        if self.hidden:
            return
        words = re.sub(r"[ \t\r\n\xa0]+", " ", data)
        if not self.lines[-1]:
            words = words.lstrip()
            if words:
                self.lines[-1] = "> " * self.quote
        self.lines[-1] += words

    def _break(self) -> None:
        self.lines.append("")

    def text(self) -> str:
        kept = [line.rstrip() for line in self.lines]
        return re.sub(r"\n{3,}", "\n\n", "\n".join(kept)).strip()


def html_to_text(html: str) -> str:
    parser = _Text()
    try:
        parser.feed(html)
        parser.close()
    except (AssertionError, ValueError):  # html.parser on pathological input
        return unescape(re.sub(r"<[^>]*>", " ", html)).strip()
    return parser.text()


def fold_quotes(text: str, forward: bool = False) -> str:
    """The newest reply of a message, without the history its client quoted under it. When
    nothing would be left, the whole text stays: an empty reply hides words. A forward keeps
    everything: what was forwarded is the request."""
    if forward or not text.strip():
        return text.strip()
    lines = text.split("\n")
    cut = _history_starts(lines)
    if cut is None:
        return text.strip()
    kept = lines[:cut]
    while kept and _SEPARATOR.match(kept[-1]):  # Outlook's rule above "From:", blank lines
        kept.pop()
    return "\n".join(kept).strip() or text.strip()


_SEPARATOR = re.compile(r"^\s*([_-]{10,}\s*)?$")
# The reply parser's patterns backtrack badly on very long lines that start like an attribution
# ("On …"): only the head of a message is searched, and long lines are shown to it shortened.
_HEAD_LINES, _LINE_LENGTH = 250, 200


def _history_starts(lines: list[str]) -> int | None:
    """The index of the line where quoted history starts (an "On … wrote:" line, an Outlook
    From:/Sent: block, "-----Original Message-----"), or None."""
    head = [line[:_LINE_LENGTH] for line in lines[:_HEAD_LINES]]
    joined = "\n".join(head)
    found_at = [joined[: m.start()].count("\n") for m in (p.search(joined) for p in _INDONESIAN)
                if m is not None]
    try:
        parsed = QuotedMail(text="\n".join(head), languages=list(_REPLY_LANGUAGES))
        match = parsed.HEADER_REGEX.search(parsed.text)
    except (re.error, RecursionError, IndexError, ValueError):
        match = None
    header = None
    if match is not None:
        first = next((x.strip() for x in match.group(0).split("\n") if x.strip()), "")
        header = next((i for i, line in enumerate(head) if line.strip() == first), None)
    if header is not None:
        found_at.append(header)
    return min(found_at) if found_at else None
