"""Hand-built sandbox databases of the general categories, with task params and a valid answer
worked out by hand: the checkers' tests (tests/verifiers/general) grade against them and the
categories' tests (tests/general) call the tools on them. The schemas are the categories' own.
Importable from any test as `hand_cases`."""

from synth import category
from synth.environments.general import new_db

# -- course_timetabling -------------------------------------------------------------------------------
TIMETABLE_PARAMS = {"term": "Autumn 2026", "courses": ["BIO110", "CS101", "MAT200"], "max_group_daily": 2, "spread": True,
                    "teacher_daily_max": 2, "rest_rule": True}
TIMETABLE_GOOD = [
    {"course": "CS101", "slot": "Mon-1", "room": "L100"},
    {"course": "CS101", "slot": "Tue-2", "room": "L100"},
    {"course": "BIO110", "slot": "Mon-3", "room": "Lab120"},
    {"course": "MAT200", "slot": "Tue-3", "room": "S130"},
]


def school():
    """Two days of four periods, two groups, two teachers, four rooms; the schema is the category's."""
    db = new_db(category("general", "course_timetabling").schema)
    db.executemany("INSERT INTO slots VALUES (?, ?, ?, ?, ?, ?)", [
        (f"{day}-{p}", day, d, p, "09:00", "10:30") for d, day in enumerate(("Mon", "Tue")) for p in (1, 2, 3, 4)])
    db.executemany("INSERT INTO student_groups VALUES (?, ?, ?)", [("G1A", "Biology", 30), ("G2B", "Computing", 20)])
    db.executemany("INSERT INTO teachers VALUES (?, ?)", [("Dr. Abara", "Sciences"), ("Dr. Brandt", "Sciences")])
    db.execute("INSERT INTO teacher_unavailable VALUES ('Dr. Abara', 'Mon-2', 'committee')")
    db.executemany("INSERT INTO rooms VALUES (?, ?, ?, ?)", [
        ("L100", "lecture", 60, "North Hall"), ("L110", "lecture", 25, "North Hall"),
        ("Lab120", "lab", 30, "Lab Wing"), ("S130", "seminar", 20, "South Hall")])
    db.execute("INSERT INTO room_bookings VALUES ('L100', 'Tue-1', 'exam')")
    db.executemany("INSERT INTO courses VALUES (?, ?, ?, ?, ?, ?)", [
        ("CS101", "Algorithms", "Autumn 2026", "Dr. Abara", 2, "lecture"),
        ("BIO110", "Cell Biology", "Autumn 2026", "Dr. Brandt", 1, "lab"),
        ("MAT200", "Linear Algebra", "Autumn 2026", "Dr. Abara", 1, "seminar"),
        ("HIS300", "Modern History", "Spring 2027", "Dr. Brandt", 1, "lecture")])
    db.executemany("INSERT INTO enrollment VALUES (?, ?)", [
        ("CS101", "G1A"), ("CS101", "G2B"), ("BIO110", "G1A"), ("MAT200", "G2B"), ("HIS300", "G1A")])
    return db


# -- shopping -----------------------------------------------------------------------------------------
SHOP_PARAMS = {
    "date": "2026-03-10",
    "budget": 38000,
    "budget_text": "380.00",
    "needs": [
        {"category": "cameras", "qty": 1, "min_rating": 4.0, "max_unit_price": None, "max_unit_price_text": None},
        {"category": "headphones", "qty": 2, "min_rating": None, "max_unit_price": 6000, "max_unit_price_text": "60.00"},
    ],
    "delivery": True,
    "max_coupons": 2,
}
# subtotal 300 + 30 + 2 x 50 = 430; CAM10 takes 10% of the camera (30), FIX20 takes 20: 380, free delivery.
SHOP_GOOD = {"store": "BrightMart", "items": [{"product": "SKU-1001", "qty": 1}, {"product": "SKU-2002", "qty": 1},
                                         {"product": "SKU-3001", "qty": 2}], "coupons": ["CAM10", "FIX20"]}


def shop():
    db = new_db(category("general", "shopping").schema)
    db.executemany("INSERT INTO stores VALUES (?, ?, ?, ?)",
                   [("BrightMart", "Aldmere", 499, 20000), ("CityTech", "Caldris", 699, None)])
    db.executemany("INSERT INTO products VALUES (?, ?, ?, ?, ?)", [
        ("SKU-1001", "Arcon camera", "cameras", "Arcon", 4.5), ("SKU-1002", "Belvo camera", "cameras", "Belvo", 3.0),
        ("SKU-2001", "Arcon card", "memory cards", "Arcon", 4.0), ("SKU-2002", "Dynex card", "memory cards", "Dynex", 4.1),
        ("SKU-3001", "Juno headphones", "headphones", "Juno", 4.2),
    ])
    db.executemany("INSERT INTO requires VALUES (?, ?)",
                   [("SKU-1001", "SKU-2001"), ("SKU-1001", "SKU-2002"), ("SKU-1002", "SKU-2001")])
    db.executemany("INSERT INTO inventory VALUES (?, ?, ?, ?)", [
        ("BrightMart", "SKU-1001", 30000, 2), ("BrightMart", "SKU-1002", 25000, 5), ("BrightMart", "SKU-2001", 2000, 1),
        ("BrightMart", "SKU-2002", 3000, 5), ("BrightMart", "SKU-3001", 5000, 3),
        ("CityTech", "SKU-1001", 29000, 1), ("CityTech", "SKU-3001", 4500, 9),
    ])
    db.executemany("INSERT INTO coupons VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", [
        ("CAM10", "BrightMart", "percent", 10, "cameras", 25000, "2026-03-01", "2026-03-31", 0, ""),
        ("FIX20", None, "fixed", 2000, None, 30000, "2026-03-01", "2026-03-10", 0, ""),
        ("BIG30", "BrightMart", "percent", 30, None, 0, "2026-03-01", "2026-03-31", 1, ""),
        ("OLD15", "BrightMart", "percent", 15, None, 0, "2026-01-01", "2026-02-01", 0, ""),
        ("CITY5", "CityTech", "fixed", 500, None, 0, "2026-03-01", "2026-03-31", 0, ""),
        ("CAM20", "BrightMart", "percent", 20, "cameras", 0, "2026-03-01", "2026-03-31", 0, "CAM10"),
    ])
    return db


# -- meeting_scheduling -------------------------------------------------------------------------------
MEETINGS_PARAMS = {
    "window_start": "2026-01-05",
    "window_end": "2026-01-06",
    "meetings": [
        {"id": "M1", "title": "Sync", "attendees": ["Ana Costa", "Bruno Kim"], "duration": 60, "equipment": []},
        {"id": "M2", "title": "Review", "attendees": ["Bruno Kim", "Chen Rossi"], "duration": 60, "equipment": []},
        {"id": "M3", "title": "Follow-up", "attendees": ["Ana Costa", "Bruno Kim"], "duration": 30,
         "equipment": ["whiteboard"]},
    ],
    "precedence": [{"before": "M1", "after": "M3"}],
    "max_daily_minutes": 90,
    "long_meeting": {"min_duration": 60, "end_by": "16:30"},
    "director_video": True,
    "buffer_minutes": 15,
}
# Ana: UTC+05:30, works 09:00-17:00 local = 03:30-11:30 UTC. Bruno: UTC, 09:00-17:00.
# Chen (director): UTC-05:00, 09:00-17:00 local = 14:00-22:00 UTC.
MEETINGS_GOOD = [
    {"meeting": "M1", "room": "Aspen", "start": "2026-01-05T09:00:00Z"},
    {"meeting": "M3", "room": "Aspen", "start": "2026-01-05T10:30:00Z"},
    {"meeting": "M2", "room": "Birch", "start": "2026-01-06T14:00:00Z"},
]


def calendar():
    db = new_db(category("general", "meeting_scheduling").schema)
    db.executemany("INSERT INTO people VALUES (?, ?, ?, ?, ?, ?)", [
        ("Ana Costa", "Design", "analyst", 330, 540, 1020),
        ("Bruno Kim", "Sales", "manager", 0, 540, 1020),
        ("Chen Rossi", "Research", "director", -300, 540, 1020),
    ])
    t = 1767571200  # 2026-01-05T00:00:00Z
    db.executemany("INSERT INTO busy VALUES (?, ?, ?, ?)", [
        ("Bruno Kim", t + 12 * 3600, t + 13 * 3600, "Lunch"),
        ("Chen Rossi", t + 86400 + 18 * 3600, t + 86400 + 19 * 3600, "1:1"),
    ])
    db.executemany("INSERT INTO rooms VALUES (?, ?, ?, ?)", [
        ("Aspen", 2, 1, "whiteboard"), ("Birch", 6, 2, "projector,video"), ("Cedar", 8, 3, "video,whiteboard"),
    ])
    db.execute("INSERT INTO bookings VALUES (?, ?, ?, ?)", ("Birch", t + 86400 + 15 * 3600, t + 86400 + 16 * 3600, "x"))
    return db
