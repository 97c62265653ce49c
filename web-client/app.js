// quizd web client
