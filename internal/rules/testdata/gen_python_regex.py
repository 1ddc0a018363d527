"""Regenerates python_regex.json: how Python's re.match treats each pattern on each subject.

Run with python3 (3.11 was used) from this directory. The Go test reads the JSON; Python is not
needed to run the tests.
"""
import json
import re
import sys
import warnings

warnings.simplefilter("ignore")

PATTERNS = [
    # plain and anchoring
    r"abc", r"^abc$", r"abc$", r"abc\Z", r"\Aabc", r"", r"x*", r"b", r"a|b", r"ab|a",
    # Python-only syntax that is rewritten
    r"(?P<n>a)(?P=n)", r"(?P<y>\d{4})-(?P=y)", r"(?P<q>['\"]).*?(?P=q)", r"a{,2}b", r"x{,}y",
    r"\_x", r"\U00000041", r"\U0001F600", r"caf\é", r"(?u)\w+", r"(?iu)ABC",
    # classes
    r"\d+", r"\w+", r"\s", r"\S+", r"\D", r"\W", r"[\d_]+", r"[^\W]+", r"[]a]+", r"[^]a]+", r"[a-z]+\d*$",
    r"[\u0400-\u04ff]+", r"[[:alpha:]]+", r"\bfoo\b", r"\Bo",
    # flags and groups
    r"(?i)ABC", r"(?s)a.c", r"a.c", r"(?m)^b$", r"(?x) a b # comment", r"(?x) a \# b", r"(?ix) A B",
    r"(?<=a)b", r"a(?=b)", r"(?!x)\w", r"(a)(b)?\2", r"(?:ab)+$", r"(a|b)*c", r"(?>a+)b",
    # escapes and quantifiers
    r"\u00e9", r"\x41", r"\$\d", r".*\.pdf$", r"\.pdf", r"a{2,}", r"a{2}", r"a+?b", r"\S+@\S+",
    r"\t", r"\n", r"\\", r"\.", r"\-", r"\(", r"\{", r"\/",
    # realistic sync rules
    r"^.*\.(pdf|docx?)$", r"(?i).*confidential.*", r"[A-Z]{3}-\d+", r"\d{4}-\d{2}-\d{2}", r"https?://",
    r"/shared/.*", r".*[Dd]raft.*", r"(?i)^(readme|license)(\.md)?$",
    # not valid Python patterns
    r"a)(b", r"(", r"[a", r"*a", r"a{2,1}", r"(?P<n>a)(?P=m)", r"\p{L}", r"(?P<1>a)", r"a**",
]

SUBJECTS = [
    "abc", "abc\n", "xabc", "ABC", "123", "٣٤", "éa", "é", " x", "\tx", "_x", "-", "aa", "ab", "a",
    "b", "c", "bc", "abab", "2024-2024", "a\nc", "a\nb", "foo bar", "foo", "x", "xy", "y", "abcé",
    "A", "😀", "абв", "aaa", "aab", "$5", "doc.pdf", "doc.pdf\n", "report.docx", "ababab", "café",
    "a@b.c", "abc1", "", "\\", ".", "(", "{", "/", "/shared/x", "ABC-123", "2024-01-31", "https://e.co",
    "My Draft", "README.md", "license", "'quoted'", "\"dq\"", "]a", "^", "abbc", "xyz", "\n",
]


def main():
    out = []
    for p in PATTERNS:
        try:
            compiled = re.compile(p)
        except re.error:
            out.append({"pattern": p, "valid": False})
            continue
        out.append({
            "pattern": p,
            "valid": True,
            "matches": [s for s in SUBJECTS if compiled.match(s) is not None],
        })
    json.dump({"python": sys.version.split()[0], "subjects": SUBJECTS, "cases": out},
              open("python_regex.json", "w"), ensure_ascii=False, indent=1)


main()
