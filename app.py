from leads import create_app

app = create_app()
