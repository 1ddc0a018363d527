package estest

func (s *Server) routeConnector(rq *request) (*response, *esError) {
	return nil, noHandler(rq)
}
