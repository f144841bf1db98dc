from guestbook import create_app


def test_sign(tmp_path):
    app = create_app({"DATABASE": str(tmp_path / "db.sqlite")})
    client = app.test_client()
    client.post("/sign", data={"name": "Ada", "message": "hi"})
    assert b"Ada" in client.get("/").data
