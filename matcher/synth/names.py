"""Synthetic Vietnamese names and the free text social workers write.

Full names are drawn from common family, middle and given name parts. They are not real
people; a short list of public figures' names is refused outright so that no generated
record looks like one (:data:`PUBLIC_FIGURES`). Phone numbers use the Quảng Ninh landline
prefix 0203 followed by a 0, which no subscriber number starts with, so none can ring anyone.
"""

from __future__ import annotations

import unicodedata

import numpy as np

# Family names with rough national shares (Nguyễn ~38%); the tail is flattened.
FAMILY = {
    "Nguyễn": 30.0, "Trần": 10.0, "Lê": 9.0, "Phạm": 7.0, "Hoàng": 5.0, "Vũ": 4.0,
    "Phan": 3.0, "Đặng": 2.5, "Bùi": 2.5, "Đỗ": 2.0, "Ngô": 1.5, "Dương": 1.2, "Đinh": 1.2,
    "Đào": 1.0, "Trịnh": 1.0, "Mai": 0.8, "Lương": 0.8, "Tạ": 0.6, "Hồ": 0.6, "Lý": 0.5,
    "Cao": 0.5, "Tô": 0.4, "Vương": 0.4, "Phùng": 0.4,
}
# Dao, Tày, Sán Dìu and Sán Chỉ family names common in Bình Liêu, Ba Chẽ, Tiên Yên.
FAMILY_MINORITY = {
    "Triệu": 3.0, "Bàn": 2.0, "Lục": 1.5, "Nịnh": 1.0, "Chíu": 1.0, "Vi": 1.0,
    "Hoàng": 1.5, "Lý": 1.0, "Sằn": 0.5, "Đặng": 1.0,
}
MIDDLE_FEMALE = {"Thị": 60.0, "Ngọc": 6.0, "Thu": 5.0, "Thanh": 5.0, "Hồng": 4.0, "Kim": 3.0,
                 "Minh": 3.0, "Mai": 2.0, "Phương": 2.0, "Diệu": 1.0, "Hải": 1.5, "Bích": 1.0}
MIDDLE_MALE = {"Văn": 50.0, "Đức": 7.0, "Minh": 7.0, "Quang": 5.0, "Hữu": 4.0, "Thành": 4.0,
               "Ngọc": 2.0, "Xuân": 3.0, "Đình": 4.0, "Công": 3.0, "Anh": 2.0, "Tiến": 2.0}
GIVEN_FEMALE = (
    "Anh Hoa Hương Lan Linh Mai Ngọc Nhung Phương Thảo Trang Tuyết Vân Yến Hằng Hạnh Huyền "
    "Dung Giang Hà Hiền Loan Ly Nga Nhi Oanh Quỳnh Thúy Thủy Trâm Uyên Vy Xuân Hòa Liên Diệp "
    "Chi Hậu Lụa Duyên Nhàn Tâm Thơm Huệ Lành Gấm"
).split()
GIVEN_MALE = (
    "Bình Cường Dũng Đạt Hải Hiếu Hoàng Hùng Huy Khánh Khoa Kiên Long Lực Mạnh Nam Nghĩa "
    "Phong Phúc Quân Sơn Tài Tâm Thắng Tiến Toàn Trung Tuấn Tùng Việt Vinh Hưng Duy Hào Lâm "
    "Thịnh Chiến Tú Quý Lộc Bảo Hiệp Thuận"
).split()

# Names of well-known people that a random draw could produce: never emitted.
PUBLIC_FIGURES = frozenset(unicodedata.normalize("NFC", n) for n in (
    "Hồ Chí Minh", "Võ Nguyên Giáp", "Nguyễn Phú Trọng", "Phạm Minh Chính", "Tô Lâm",
    "Nguyễn Xuân Phúc", "Võ Văn Thưởng", "Lương Cường", "Trần Thanh Mẫn", "Vương Đình Huệ",
    "Nguyễn Tấn Dũng", "Trần Đại Quang", "Nguyễn Minh Triết", "Trương Tấn Sang",
    "Nguyễn Thị Kim Ngân", "Nguyễn Thị Bình", "Đặng Thị Ngọc Thịnh", "Nguyễn Thanh Tùng",
    "Nguyễn Quang Hải", "Bùi Tiến Dũng", "Nguyễn Văn Toàn", "Đỗ Hùng Dũng", "Phan Văn Đức",
    "Nguyễn Tiến Linh", "Đoàn Văn Hậu", "Lương Xuân Trường", "Nguyễn Văn Linh",
    "Võ Văn Kiệt", "Phạm Văn Đồng", "Đỗ Mười", "Nguyễn Văn Quyết", "Nguyễn Công Phượng",
    "Hoàng Xuân Vinh", "Nguyễn Thị Ánh Viên", "Trần Đức Lương", "Nông Đức Mạnh",
))

# Words for the invented business names; not any real company's name.
BRANDS = (
    "Hải Âu", "Sao Biển", "Bình Minh", "Ngọc Trai", "Hoa Sen", "Thành Đạt", "Phú Hưng",
    "An Khang", "Hưng Thịnh", "Minh Phát", "Tân Tiến", "Hòa Bình", "Ánh Dương", "Trường An",
    "Vạn Lộc", "Đại Dương", "Kim Ngân", "Thiên Phúc", "Bảo An", "Hồng Phát", "Việt Hải",
    "Bích Thủy", "Phương Nam", "Hạnh Phúc", "Tuấn Linh", "Mai Anh", "Quang Vinh", "Đông Hải",
    "Hải Long", "Lộc Phát",
)

# Free text of interests and skills, as a social worker notes what the client said.
INTEREST_ONE = (
    "thích {t}", "muốn học {t}", "thích {t}, muốn mở tiệm riêng", "muốn làm {t} gần nhà",
    "quan tâm nghề {t}", "muốn đi làm {t}, có lương ổn định", "em thích {t}",
    "muốn học nghề {t} để có thu nhập", "mong muốn được học {t}", "{t}",
)
INTEREST_TWO = (
    "thích {t}, cũng muốn thử {u}", "{t} hoặc {u}", "muốn học {t} hoặc {u}",
    "thích {t}; nếu không thì {u}", "quan tâm {t} và {u}",
)
SKILL_ONE = (
    "biết {t} cơ bản", "đã từng làm {t} 1 năm", "từng phụ việc {t}", "biết chút {t}",
    "đã làm {t} vài tháng", "có kinh nghiệm {t}",
)
# Skills text that names no trade (checked against the trade index by the generator).
SKILL_GENERIC = (
    "chăm chỉ, khéo tay", "giao tiếp tốt", "sức khỏe tốt", "cẩn thận, kiên nhẫn",
    "chịu khó", "nhanh nhẹn",
)


def _weights(d: dict[str, float]) -> tuple[list[str], np.ndarray]:
    keys = list(d)
    w = np.array([d[k] for k in keys], dtype=float)
    return keys, w / w.sum()


def full_names(rng: np.random.Generator, female: np.ndarray, minority: np.ndarray) -> list[str]:
    """One synthetic "Family Middle Given" name per person, vectorised over the draws."""
    n = len(female)
    fam, fam_p = _weights(FAMILY)
    fam_m, fam_mp = _weights(FAMILY_MINORITY)
    mid_f, mid_fp = _weights(MIDDLE_FEMALE)
    mid_m, mid_mp = _weights(MIDDLE_MALE)
    fam_i = rng.choice(len(fam), size=n, p=fam_p)
    fam_mi = rng.choice(len(fam_m), size=n, p=fam_mp)
    mid_fi = rng.choice(len(mid_f), size=n, p=mid_fp)
    mid_mi = rng.choice(len(mid_m), size=n, p=mid_mp)
    giv_fi = rng.integers(0, len(GIVEN_FEMALE), size=n)
    giv_mi = rng.integers(0, len(GIVEN_MALE), size=n)
    names = []
    for k in range(n):
        family = fam_m[fam_mi[k]] if minority[k] else fam[fam_i[k]]
        if female[k]:
            middle, given = mid_f[mid_fi[k]], GIVEN_FEMALE[giv_fi[k]]
        else:
            middle, given = mid_m[mid_mi[k]], GIVEN_MALE[giv_mi[k]]
        name = f"{family} {middle} {given}"
        if name in PUBLIC_FIGURES:
            pool = GIVEN_FEMALE if female[k] else GIVEN_MALE
            # Move to the next given name: deterministic, and never a listed figure twice over.
            name = f"{family} {middle} {pool[(pool.index(given) + 1) % len(pool)]}"
        names.append(name)
    return names


def owner_names(rng: np.random.Generator, n: int) -> list[str]:
    """Short "Middle Given" pairs used in small-business names ("Salon tóc Minh Anh")."""
    pool = [*GIVEN_FEMALE, *GIVEN_MALE]
    a = rng.integers(0, len(pool), size=n)
    b = rng.integers(0, len(pool), size=n)
    return [f"{pool[i]} {pool[j]}" if i != j else pool[i] for i, j in zip(a, b, strict=True)]


def brands(rng: np.random.Generator, n: int) -> list[str]:
    return [BRANDS[i] for i in rng.integers(0, len(BRANDS), size=n)]


def phones(rng: np.random.Generator, n: int, share_empty: float = 0.1) -> list[str]:
    """Numbers that cannot belong to anyone: 0203 then a 0 (see the module docstring)."""
    digits = rng.integers(0, 1_000_000, size=n)
    empty = rng.random(n) < share_empty
    return ["" if e else f"02030{d:06d}" for d, e in zip(digits, empty, strict=True)]
