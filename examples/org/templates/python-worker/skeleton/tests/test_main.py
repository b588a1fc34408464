from worker.main import handle


def test_handle_accepts_minimal_message():
    handle({"id": "msg-1"})
