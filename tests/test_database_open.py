from sqlalchemy import text
from forensics.database import open_database
def test_open(database_url):
    db = open_database(database_url)
    with db.session() as s:
        assert s.execute(text("select count(*) from \"case\"")).scalar() == 0
    db.close()
