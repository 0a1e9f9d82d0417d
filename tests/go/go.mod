module ukmontest

go 1.19
