"""Generators for StateScope's teaching tasks. Pure Python (no torch, no numpy) so that the app
can port them; every function takes a random.Random so examples are reproducible from a seed.

1. Multi-query associative recall, "phone book" (Arora et al., Zoology):

       b"Q4 b7 ... K0|b7 K0 ... Q4\n"

   A book of `num_pairs` entries, each a key byte immediately followed by its value byte: keys are
   distinct bytes of KEY_LETTERS (letters, then punctuation: at most 79 pairs), values digits; entries
   separated by spaces.
   Then '|' and every key of the book again in a random order, each followed by its value. The
   model reads the whole string; the value digit after every query key is an answer (its position
   is returned). Answering needs the pair stored somewhere: in the KV cache (attention: an
   induction head finds the key in the book and copies the byte after it) or in the fixed-size
   state (SSM). Chance level is 10%; knowing only which digits the book holds (not which key has
   which) already scores about 0.8 at 2 pairs and 0.25 at 52, so recall shows as accuracy above
   that curve. Length: 6 * num_pairs bytes.

2. Selective copying (Gu & Dao, Mamba, section 4.1.1): data bytes scattered among noise bytes, then
   the data bytes again, in order.

       selective_copy_example(3, 18, rng) -> (b"..c....a..k.......|cak\n", [19, 20, 21])

   `length` bytes of which `num_tokens` (at random positions) are data letters drawn from
   COPY_LETTERS (a-p) and the rest the filler '.'; then '|' and the data letters in the order they
   appeared, then a newline (the shipped models: 8 letters in 128 bytes). The scored positions are the copied letters: to get them right the model
   must have kept the letters and skipped the noise, i.e. its memory update must depend on the input
   (selection). A time-invariant model decays its state by the same factor at every byte, noise or not.

3. Noise padding: the same text with junk bytes inserted.

       pad_with_noise(b"hello", rng) -> (b"h\\x03\\x11e\\x1cl...", [True, False, False, True, ...])

   After each content byte, with probability `p` a run of 1..`max_run` junk bytes follows; junk
   bytes are control characters that never occur in the corpus (0x01-0x08, 0x0E-0x1F). The mask
   says which bytes are content. The loss is measured only where the next byte is content, so
   padded and clean text are scored on exactly the same predictions.
"""
import random

# Keys: the 52 letters (what the app's generator uses); the models were trained on TRAIN_KEYS, the
# letters and then 27 ASCII punctuation marks (never '|', space, digits, quotes or backslash), so that
# training and evaluation books go up to 79 pairs. A letters-only book is one of those.
KEY_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
TRAIN_KEYS = KEY_LETTERS + "!#$%&()*+,-./:;<=>?@[]^_{}~"
VALUE_DIGITS = "0123456789"
MQAR_SEPARATOR = "|"
MQAR_MAX_PAIRS = len(KEY_LETTERS)
MQAR_MAX_TRAIN_PAIRS = len(TRAIN_KEYS)
JUNK_BYTES = bytes(list(range(0x01, 0x09)) + list(range(0x0E, 0x20)))


def mqar_example(num_pairs, rng, keys=KEY_LETTERS):
    """Return (data: bytes, answer_positions: list[int]).

    answer_positions are indices i into data whose byte is an answer digit; a model predicts data[i]
    from data[:i]. keys: the key alphabet (KEY_LETTERS, or TRAIN_KEYS for books of up to 79 pairs).
    """
    if not 1 <= num_pairs <= len(keys):
        raise ValueError("num_pairs out of range")
    keys = rng.sample(keys, num_pairs)
    values = [rng.choice(VALUE_DIGITS) for _ in range(num_pairs)]
    book = " ".join(k + v for k, v in zip(keys, values))
    order = list(range(num_pairs))
    rng.shuffle(order)
    text = book + MQAR_SEPARATOR
    answers = []
    for j, idx in enumerate(order):
        if j:
            text += " "
        text += keys[idx]
        answers.append(len(text))
        text += values[idx]
    text += "\n"
    return text.encode("ascii"), answers


def mqar_length(num_pairs):
    return 6 * num_pairs


def mqar_check(data, answers):
    """True when data is a well-formed phone book whose answers match the book (used by tests)."""
    text = data.decode("ascii")
    if not text.endswith("\n") or text.count(MQAR_SEPARATOR) != 1:
        return False
    book, queries = text[:-1].split(MQAR_SEPARATOR)
    entries = book.split(" ")
    if any(len(e) != 2 or e[0] not in TRAIN_KEYS or e[1] not in VALUE_DIGITS for e in entries):
        return False
    table = {e[0]: e[1] for e in entries}
    qs = queries.split(" ")
    if len(table) != len(entries) or sorted(q[0] for q in qs) != sorted(table):
        return False
    if any(len(q) != 2 or table[q[0]] != q[1] for q in qs):
        return False
    start = len(book) + 1
    return answers == [start + 3 * j + 1 for j in range(len(qs))]


def pad_with_noise(content, rng, p=0.5, max_run=4):
    """Return (padded: bytes, is_content: list[bool])."""
    out = bytearray()
    mask = []
    for byte in content:
        out.append(byte)
        mask.append(True)
        if rng.random() < p:
            for _ in range(rng.randint(1, max_run)):
                out.append(rng.choice(JUNK_BYTES))
                mask.append(False)
    return bytes(out), mask


def content_targets(mask):
    """Positions i >= 1 whose byte is content: the predictions that the noise task scores."""
    return [i for i in range(1, len(mask)) if mask[i]]


# --- generators the app offers beside the two training tasks (same conventions: bytes + scored positions) ---
COPY_LETTERS = "abcdefghijklmnop"   # 16 letters, as in the Mamba paper; the shipped selcopy-* models know these
COPY_FILLER = "."
COPY_SEPARATOR = "|"
INDUCTION_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
# The shipped selective-copying models were trained on 8 letters in a field of 128 dots.
SELCOPY_LETTERS, SELCOPY_NOISE = COPY_LETTERS, COPY_FILLER
SELCOPY_REGION, SELCOPY_DATA = 128, 8


def selective_copy_example(num_tokens, length, rng):
    """Selective copying (Gu and Dao, Mamba): `num_tokens` letters at random places in a field of
    `length` filler dots, then '|' and the letters again in order, then a newline.

        b"..k...b.....x..|kbx\n"

    Scored: every copied letter after '|' (its position is returned). Length: length + num_tokens + 2.
    """
    if not 1 <= num_tokens <= length:
        raise ValueError("need 1 <= num_tokens <= length")
    places = sorted(rng.sample(range(length), num_tokens))
    letters = [rng.choice(COPY_LETTERS) for _ in range(num_tokens)]
    field = [COPY_FILLER] * length
    for p, c in zip(places, letters):
        field[p] = c
    text = "".join(field) + COPY_SEPARATOR
    answers = list(range(len(text), len(text) + num_tokens))
    text += "".join(letters) + "\n"
    return text.encode("ascii"), answers


def selective_copy_answers(data):
    """The scored positions of a selective-copying string (the letters after '|')."""
    text = data.decode("ascii")
    cut = text.index(COPY_SEPARATOR) + 1
    end = text.index("\n", cut) if "\n" in text[cut:] else len(text)
    return list(range(cut, end))


def induction_example(length, rng):
    """Repeated random text: `length` random letters/digits, then the same again, then a newline.
    An induction head predicts the second copy from the first; scored: positions length+1 ..
    2*length-1 (the first byte of the copy cannot be known to repeat)."""
    if length < 2:
        raise ValueError("length must be at least 2")
    segment = "".join(rng.choice(INDUCTION_ALPHABET) for _ in range(length))
    return (segment + segment + "\n").encode("ascii"), list(range(length + 1, 2 * length))


def _demo():
    rng = random.Random(0)
    data, answers = mqar_example(4, rng)
    print(data, answers, bytes(data[i] for i in answers), mqar_check(data, answers))
    data, answers = selective_copy_example(3, 24, rng)
    print(data, answers, bytes(data[i] for i in answers))
    padded, mask = pad_with_noise(b"hello world", rng)
    print(padded, sum(mask), len(mask))


if __name__ == "__main__":
    _demo()
