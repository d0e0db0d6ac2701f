import mlflow
mlflow.models.set_model(None)
